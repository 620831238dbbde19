"""Real ansible-core for the lookup plugin and the vault import, kept inside the test's folder.

Every Ansible process gets its own HOME, local and remote temp folders, an empty
config file (none from the developer's home or the working folder), no collections
path but the repository (on PYTHONPATH, as site-packages would hold the wheel's
copy), the local connection and an inventory of ``localhost,``.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.runner import Cli, Result
from tests.conftest import PASSWORD, require_tool

BIN = Path(sys.executable).parent  # ansible-core's scripts beside the tests' Python
LOCAL = ("-c", "local", "-i", "localhost,")


def ansible_tool(name: str) -> str:
    """The path of ansible-core's *name* script in the tests' environment."""
    path = BIN / name
    if not path.exists():
        require_tool(name)  # skips (fails under CI) when ansible-core is not installed
        return name
    return str(path)


def ansible_settings(folder: Path) -> dict[str, str]:
    """The variables that keep an Ansible process inside *folder* (see the module docstring)."""
    config = folder / "ansible.cfg"
    config.touch()
    return {
        "HOME": str(folder),
        "ANSIBLE_CONFIG": str(config),
        "ANSIBLE_HOME": str(folder / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(folder / "tmp-local"),
        "ANSIBLE_REMOTE_TEMP": str(folder / "tmp-remote"),
        "ANSIBLE_COLLECTIONS_PATH": str(folder / "no-collections"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
    }


@dataclass
class Ansible:
    """ansible-core run against glassdome's file store in *cli*'s home, from *folder*."""

    cli: Cli
    folder: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = self.cli.env(
            ("GLASSDOME_MASTER_PASSWORD",),
            GLASSDOME_MASTER_PASSWORD_FILE=str(self.folder / "master-password"),
            **ansible_settings(self.folder),
        )
        env.update(extra)
        return env

    def run(self, tool: str, *args: str, **extra: str) -> Result:
        """Run ansible-core's *tool* with *args*; its output and exit code."""
        argv = [ansible_tool(tool), *args]
        completed = subprocess.run(
            argv,
            cwd=self.folder,
            env=self.env(**extra),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=90,
            check=False,
        )
        return Result(
            ("", "", *argv),  # Result's str drops the first two words (python -m)
            completed.returncode,
            completed.stdout.decode("utf-8"),
            completed.stderr.decode("utf-8"),
        )

    def debug(self, expression: str, **extra: str) -> Result:
        """``ansible localhost -m debug -a 'msg=EXPRESSION'`` on the local connection."""
        return self.run(
            "ansible", "localhost", *LOCAL, "-m", "debug", "-a", f"msg={expression}", **extra
        )

    def playbook(self, text: str, *args: str, **extra: str) -> Result:
        """Write *text* as a playbook and run it with ansible-playbook."""
        path = self.folder / "play.yml"
        path.write_text(text, encoding="utf-8")
        return self.run("ansible-playbook", *LOCAL, *args, str(path), **extra)


@pytest.fixture
def cli(home: Path, work: Path) -> Cli:
    """glassdome with a fresh file store in *home*, run from *work*."""
    return Cli(home=home, cwd=work)


@pytest.fixture
def ansible(cli: Cli, tmp_path: Path) -> Ansible:
    """Ansible against this test's file store (master password from a file)."""
    folder = tmp_path / "ansible"
    folder.mkdir()
    (folder / "master-password").write_text(PASSWORD + "\n", encoding="utf-8")
    return Ansible(cli, folder)
