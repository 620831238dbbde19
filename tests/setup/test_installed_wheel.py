"""The wizards from an installed wheel, run from an empty folder outside the checkout.

The wheel is built from the checkout (``pip wheel --no-deps``) and installed with its
dependencies into a fresh venv (no system site-packages, so a missing dependency
fails here); with pip's cache warm that takes about 15 s for the module. Every
command runs the venv's ``glassdome`` console script with no ``PYTHONPATH``, so the
playbooks can only come from ``glassdome/_playbooks`` inside the installed package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.conftest import KDF_FLOOR, REPO

pytestmark = pytest.mark.timeout(600)  # the first build fills pip's cache

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
_DROP = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")


def _pip_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _DROP}


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        argv, capture_output=True, text=True, check=False, **kwargs
    )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel built from this checkout and its dependencies."""
    base = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = _run(
        [*pip, "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(REPO)],
        env=_pip_env(),
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("glassdome-*.whl")
    made = _run([sys.executable, "-m", "venv", str(base / "venv")], timeout=120)
    assert made.returncode == 0, made.stderr
    python = base / "venv" / "bin" / "python"
    installed = _run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)], env=_pip_env(), timeout=300
    )
    assert installed.returncode == 0, installed.stderr
    return base / "venv"


@dataclass
class Installed:
    """The installed ``glassdome``, run from an empty folder with its own HOME and store."""

    venv: Path
    cwd: Path
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        password = self.home.parent / "master-password"
        password.write_text("installed-wheel-test-password\n", encoding="utf-8")
        env = {
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "NO_COLOR": "1",
            "GLASSDOME_HOME": str(self.home / ".glassdome"),
            "GLASSDOME_SECRETS_BACKEND": "file",
            "GLASSDOME_MASTER_PASSWORD_FILE": str(password),
            "GLASSDOME_KDF_MEMORY_KIB": str(KDF_FLOOR.memory_cost_kib),
            "GLASSDOME_KDF_ITERATIONS": str(KDF_FLOOR.iterations),
            "AWS_CONFIG_FILE": str(self.home / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "no-aws-credentials"),
        }
        env.update(extra)
        return env

    def __call__(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return _run(
            [str(self.venv / "bin" / "glassdome"), *args],
            cwd=self.cwd,
            env=self.env(**extra),
            stdin=subprocess.DEVNULL,
            timeout=60,
        )


@pytest.fixture
def glassdome(venv: Path, tmp_path: Path) -> Installed:
    (tmp_path / "empty").mkdir()
    (tmp_path / "home").mkdir()
    return Installed(venv, tmp_path / "empty", tmp_path / "home")


def test_the_installed_package_is_not_the_checkout(glassdome: Installed) -> None:
    where = _run(
        [
            str(glassdome.venv / "bin" / "python"),
            "-c",
            "import glassdome; print(glassdome.__file__)",
        ],
        cwd=glassdome.cwd,
        env=glassdome.env(),
        timeout=60,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(glassdome.venv)


def test_setup_without_a_name_lists_the_wizards_one_line_each(glassdome: Installed) -> None:
    result = glassdome("setup")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["proxmox", "esxi", "azure", "aws", "ai"]
    assert "AWS (access key)" in lines[3]
    listing = json.loads(glassdome("setup", "--json").stdout)
    assert listing[0] == {"name": "proxmox", "title": "Proxmox VE (API token)"}
    assert not list(glassdome.cwd.iterdir())


def test_playbook_list_shows_the_built_in_playbooks(glassdome: Installed) -> None:
    result = glassdome("playbook", "list")
    assert result.returncode == 0, result.stderr
    for name in ("setup/proxmox", "setup/aws", "rotate/aws"):
        assert f"{name} (built-in)" in result.stdout
    valid = glassdome("playbook", "validate", "setup/proxmox.yml")
    assert valid.returncode == 0, valid.stderr


@pytest.mark.parametrize(
    "command",
    [("setup", "aws"), ("play", "setup/aws"), ("play", "setup/aws.yml")],
    ids=["setup-aws", "play-setup-aws", "play-setup-aws-yml"],
)
def test_the_aws_wizard_stores_the_secret_and_writes_env_here(
    glassdome: Installed, command: tuple[str, ...]
) -> None:
    result = glassdome(
        *command,
        "--no-verify",
        "--no-input",
        GLASSDOME_INPUT_ACCESS_KEY_ID=KEY_ID,
        GLASSDOME_INPUT_SECRET_ACCESS_KEY=SECRET,
        GLASSDOME_INPUT_REGION="eu-central-1",
    )
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    stored = glassdome("secrets", "get", "aws_secret_access_key")
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout == SECRET + "\n"
    values = dotenv_values(glassdome.cwd / ".env")
    assert values == {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_REGION": "eu-central-1"}


def test_an_unknown_playbook_name_lists_the_built_in_ones(glassdome: Installed) -> None:
    result = glassdome("play", "proxmos", "--no-input")
    assert result.returncode == 2
    assert "setup/proxmox" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bare_wizard_name_runs_the_installed_wizard(glassdome: Installed) -> None:
    """`glassdome play proxmox` is the wizard: without a terminal it lists what it needs."""
    result = glassdome("play", "proxmox", "--no-input")
    assert result.returncode == 3, result.stderr
    assert "host: missing" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
