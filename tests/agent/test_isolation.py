"""What the agent shows to whom: its folder and socket, other users, other stores, the disk."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from glassdome.backends.encrypted_file import EncryptedFileBackend
from glassdome.primitives.crypto import data_key_bytes
from glassdome.primitives.master import MasterPasswordSource
from tests.agent.support import GUARD, NO_PASSWORD, stop_agents
from tests.cli.runner import Cli
from tests.conftest import PASSWORD
from tests.leaks import forms


def test_the_folder_is_0700_and_the_socket_0600_both_ours(unlocked: Cli, runtime: Path):
    folder = runtime / "glassdome"
    for path, mode in ((folder, 0o700), (folder / "agent.sock", 0o600)):
        info = path.lstat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (mode, os.getuid())
    assert stat.S_ISSOCK((folder / "agent.sock").lstat().st_mode)


def test_a_folder_others_can_enter_is_ignored_with_a_one_line_warning(unlocked: Cli, runtime: Path):
    folder = runtime / "glassdome"
    folder.chmod(0o755)
    try:
        result = unlocked("secrets", "get", "alpha", unset=NO_PASSWORD)
    finally:
        folder.chmod(0o700)
    assert result.code == 1
    warnings = [line for line in result.err_lines if "ignoring the agent socket" in line]
    assert len(warnings) == 1
    assert "0755" in warnings[0]
    assert unlocked.get("alpha", unset=NO_PASSWORD) == "value-of-alpha"  # modes back: served


def test_two_stores_held_at_once_never_mix(agent: Cli, tmp_path: Path):
    other = Cli(home=tmp_path / "other-home", cwd=agent.cwd)
    agent.set("token", "first-store-token")
    other.set("token", "second-store-token", GLASSDOME_MASTER_PASSWORD="another password!")
    assert agent("unlock").code == 0
    assert other("unlock", GLASSDOME_MASTER_PASSWORD="another password!").code == 0
    assert agent.get("token", unset=NO_PASSWORD) == "first-store-token"
    assert other.get("token", unset=NO_PASSWORD) == "second-store-token"
    other.set("only_second", "x-value", unset=NO_PASSWORD)
    assert agent.names(unset=NO_PASSWORD) == ["token"]
    assert other.names(unset=NO_PASSWORD) == ["only_second", "token"]
    # A store moved in under the first one's folder is another store: not served.
    (agent.home / "master_key.enc").unlink()
    (agent.home / "secrets.encrypted").unlink()
    shutil.copy(other.home / "master_key.enc", agent.home / "master_key.enc")
    shutil.copy(other.home / "secrets.encrypted", agent.home / "secrets.encrypted")
    swapped = agent("secrets", "get", "token", unset=NO_PASSWORD)
    assert swapped.code == 1
    assert "needs its master password" in swapped.err


def _changed_since(path: Path, since: float) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_mtime >= since


def _files_since(folder: Path, since: float) -> list[Path]:
    """Regular files under *folder* changed since *since*, in folders changed since then.

    A file the agent made would change its folder too; older folders are not walked,
    which keeps a shared temp dir's walk short.
    """
    found = []
    for root, folders, names in os.walk(folder):
        folders[:] = [f for f in folders if _changed_since(Path(root) / f, since)]
        for name in names:
            path = Path(root) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_mtime >= since and info.st_size < 1 << 26:
                found.append(path)
    return found


def test_neither_the_data_key_nor_a_value_reaches_any_file(agent: Cli, runtime: Path):
    canary = "canary-Zq7-value-never-on-disk"
    started = time.time() - 1
    agent.set("canary", canary)
    assert agent("unlock").code == 0
    assert agent.get("canary", unset=NO_PASSWORD) == canary
    agent.set("second", canary + "-again", unset=NO_PASSWORD)
    source = MasterPasswordSource(env={"GLASSDOME_MASTER_PASSWORD": PASSWORD})
    key = EncryptedFileBackend(agent.home, source).hand_over()
    raw_key = data_key_bytes(key)
    needles = {f"canary {k}": v.encode() for k, v in forms(canary).items()}
    needles.update({f"key {k}": v.encode() for k, v in forms(raw_key.decode()).items()})
    needles["key bytes"] = raw_key
    folders = {agent.home, runtime, Path(tempfile.gettempdir())}
    checked = 0
    for folder in folders:
        for path in _files_since(folder, started):
            try:
                content = path.read_bytes()
            except OSError:
                continue
            checked += 1
            found = [name for name, needle in needles.items() if needle in content]
            assert found == [], f"{path} holds {found}"
    assert checked >= 3  # the store, its key file and its backup at least


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a client as another user")
def test_a_client_of_another_user_is_refused(agent: Cli):
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    # The test's own folders are private to root: this agent lives where nobody can reach
    # its socket once the folder and socket are opened up, as a careless chmod would.
    runtime = Path(tempfile.mkdtemp(prefix="glassdome-agent-test-"))
    try:
        runtime.chmod(0o711)
        env = {**agent.env(), "XDG_RUNTIME_DIR": str(runtime)}
        agent.set("alpha", "value-of-alpha")
        unlocked = subprocess.run(
            [sys.executable, "-m", "glassdome", "unlock"],
            env=env,
            cwd=agent.cwd,
            capture_output=True,
            timeout=GUARD * 4,
            check=False,
        )
        assert unlocked.returncode == 0, unlocked.stderr
        socket_path = runtime / "glassdome" / "agent.sock"
        socket_path.parent.chmod(0o711)
        socket_path.chmod(0o666)
        client = (
            "import json, socket, struct, sys\n"
            "s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])\n"
            "body = json.dumps({'v': 1, 'op': 'status'}).encode()\n"
            "try:\n    s.sendall(struct.pack('>I', len(body)) + body)\n"
            "except OSError:\n    pass  # refused before the request was read\n"
            "size = struct.unpack('>I', s.recv(4))[0]; print(s.recv(size).decode())\n"
        )
        refused = subprocess.run(
            [
                setpriv,
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                sys.executable,
                "-c",
                client,
                str(socket_path),
            ],
            capture_output=True,
            text=True,
            timeout=GUARD * 2,
            check=False,
        )
        assert refused.returncode == 0, refused.stderr
        assert '"error":"refused"' in refused.stdout.replace(" ", "")
        assert "value-of-alpha" not in refused.stdout
        socket_path.chmod(0o600)
        socket_path.parent.chmod(0o700)
        still = subprocess.run(
            [sys.executable, "-m", "glassdome", "secrets", "get", "alpha"],
            env={k: v for k, v in env.items() if k != "GLASSDOME_MASTER_PASSWORD"},
            cwd=agent.cwd,
            capture_output=True,
            text=True,
            timeout=GUARD * 4,
            check=False,
        )
        assert still.stdout == "value-of-alpha\n", still.stderr
    finally:
        stop_agents(Cli(home=agent.home, cwd=agent.cwd), runtime)
        shutil.rmtree(runtime, ignore_errors=True)
