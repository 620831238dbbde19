"""The store's layers point one way (primitives < backends < core) and need no terminal.

Each check runs in a fresh interpreter, so what another test imported cannot hide a
dependency; each imports every module of the layers it checks and then uses them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import subprocess_env

IMPORT_ALL = """
import importlib, pkgutil, sys
import glassdome
for package in PACKAGES:
    package = importlib.import_module(package)
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
"""

# Below the facade: the backends, used directly, load nothing of core, ui or the commands.
BACKENDS_ALONE = """
from pathlib import Path
from glassdome.backends.encrypted_file import EncryptedFileBackend
from glassdome.primitives.master import MasterPasswordSource

store = EncryptedFileBackend(Path(sys.argv[1]), MasterPasswordSource())
store.set_many({"layered": "value-1"})
assert store.get("layered") == "value-1"
store.health_checks(), store.details(), store.store_files()
upper = ("glassdome.core", "glassdome.ui", "glassdome.commands", "glassdome.cli", "rich")
loaded = sorted(m for m in sys.modules if m.startswith(upper))
assert not loaded, loaded
"""

# The facade and settings, used as a Python program uses them, load no Rich.
CORE_WITHOUT_A_TERMINAL = """
from glassdome.core.config import Settings, get_settings, settings
from glassdome.core.secrets import get_secrets_manager

manager = get_secrets_manager()
manager.set_secret("proxmox_password", "value-2")
assert manager.get_secret("proxmox_password") == "value-2"
assert get_settings().proxmox_password.get_secret_value() == "value-2"
assert settings.proxmox_port == 8006 and Settings().proxmox_host is None
manager.describe(), manager.list_secrets(), settings.proxmox_instances()
loaded = sorted(m for m in sys.modules if m == "rich" or m.startswith(("rich.", "glassdome.ui")))
assert not loaded, loaded
"""


def _run(code: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, str(home)],
        env=subprocess_env(home),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_primitives_and_backends_import_and_run_without_core_or_a_terminal(
    tmp_path: Path,
) -> None:
    packages = "PACKAGES = ('glassdome.primitives', 'glassdome.backends')\n"
    result = _run(packages + IMPORT_ALL + BACKENDS_ALONE, tmp_path / "home", tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "home" / "secrets.encrypted").exists()  # it really stored


def test_core_backends_and_primitives_import_and_run_without_rich(tmp_path: Path) -> None:
    packages = "PACKAGES = ('glassdome.primitives', 'glassdome.backends', 'glassdome.core')\n"
    result = _run(packages + IMPORT_ALL + CORE_WITHOUT_A_TERMINAL, tmp_path / "home", tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "home" / "secrets.encrypted").exists()


def test_the_check_sees_rich_when_it_is_loaded(tmp_path: Path) -> None:
    """The assertion above can fail: the same program with the console imported does."""
    packages = "PACKAGES = ('glassdome.core', 'glassdome.ui')\n"
    result = _run(packages + IMPORT_ALL + CORE_WITHOUT_A_TERMINAL, tmp_path / "home", tmp_path)
    assert result.returncode != 0
    assert "glassdome.ui" in result.stderr
