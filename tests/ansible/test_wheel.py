"""The wheel carries the Ansible collection, and Ansible finds the lookup in it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.ansible.conftest import Ansible
from tests.conftest import REPO

COLLECTION = "ansible_collections/glassdome/secrets"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout (once per module)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO), "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("glassdome-*.whl")
    return built


def test_the_wheel_holds_the_collection_without_claiming_its_namespace(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for part in ("galaxy.yml", "meta/runtime.yml", "plugins/lookup/secret.py"):
        assert f"{COLLECTION}/{part}" in names
    # ansible_collections is shared by every collection installed in site-packages.
    assert "ansible_collections/__init__.py" not in names
    assert "ansible_collections/glassdome/__init__.py" not in names


def test_ansible_runs_the_lookup_from_the_installed_wheel(
    wheel: Path, ansible: Ansible, tmp_path: Path
):
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    ansible.cli.set("proxmox_token_value", "from-the-wheel")
    doc = ansible.run(
        "ansible-doc", "-t", "lookup", "glassdome.secrets.secret", PYTHONPATH=str(site)
    )
    assert doc.code == 0, str(doc)
    assert f"({site / COLLECTION}/plugins/lookup/secret.py)" in doc.out
    result = ansible.debug(
        "{{ lookup('glassdome.secrets.secret', 'proxmox_token_value') }}", PYTHONPATH=str(site)
    )
    assert result.code == 0, str(result)
    assert '"msg": "from-the-wheel"' in result.out


def test_the_collection_has_the_version_of_the_package():
    from ruamel.yaml import YAML

    import glassdome

    galaxy = YAML(typ="safe").load((REPO / COLLECTION / "galaxy.yml").read_text(encoding="utf-8"))
    assert (galaxy["namespace"], galaxy["name"]) == ("glassdome", "secrets")
    assert galaxy["version"] == glassdome.__version__
