"""The keyring people have: keyrings.alt's plain-text keyring installed beside a Secret Service.

keyring then returns its ``ChainerBackend`` of the Secret Service (priority 5) and
``PlaintextKeyring`` (0.5). glassdome uses the chain's secure member alone: values go
to gnome-keyring (read back with ``secret-tool``), the plain-text file is never
written or read, and `describe()` and ``doctor`` say which member was used and which
were skipped. A chain with no secure member is still refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from glassdome.backends.os_keyring import SERVICE
from tests.backends.test_os_keyring import child_env, headless_env, select_in_child
from tests.secret_service import KEYRING_BACKEND, run_tool

GUARD = 60.0
PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"
VALUE = "chain-canary-5f1e9c"

# Stores (or reads) through auto selection; reports what keyring returned and what was chosen.
CHILD = """
import json, sys
import keyring
from glassdome.core.secrets import SecretsManager

chain = keyring.get_keyring()
manager = SecretsManager()
name, value = sys.stdin.read().split("\\n", 1)
if value:
    manager.set_secret(name, value)
found = manager.get_secret(name)
described = manager.describe()
print(json.dumps({
    "keyring": f"{type(chain).__module__}.{type(chain).__qualname__}",
    "members": [f"{type(b).__module__}.{type(b).__qualname__}" for b in chain.backends],
    "backend": described.backend,
    "reason": described.reason,
    "probe": described.probes["keyring"].reason,
    "details": dict(described.details),
    "found": found is not None and found == value,
    "found_any": found is not None,
}))
"""


def run_child(env: dict[str, str], name: str, value: str = "") -> dict[str, Any]:
    """Run `CHILD` with *env*; the value travels on stdin, never on a command line."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=f"{name}\n{value}",
        env=env,
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert VALUE not in done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture
def chain_env(secret_service_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A child environment that reaches the test Secret Service with keyring's own choice.

    No PYTHON_KEYRING_BACKEND: keyring picks its chain as it would on a desktop. The
    plain-text keyring's data root (XDG_DATA_HOME) is a folder of this test's own.
    """
    env = child_env(tmp_path / "home", None, GLASSDOME_KEYRING_TIMEOUT="30")
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update({k: v for k, v in secret_service_env.items() if k != "XDG_DATA_HOME"})
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    run_tool(["secret-tool", "clear", "service", SERVICE], env)
    return env


def plaintext_file(env: dict[str, str]) -> Path:
    """Where keyrings.alt's PlaintextKeyring keeps its entries for *env*."""
    return Path(env["XDG_DATA_HOME"]) / "python_keyring" / "keyring_pass.cfg"


@pytest.mark.secret_service
@pytest.mark.parametrize("backend", [None, "keyring"], ids=["auto", "explicit"])
def test_the_value_goes_to_the_secret_service_and_never_to_the_plaintext_keyring(
    chain_env: dict[str, str], backend: str | None
) -> None:
    """keyring returns the chain; the value lands in gnome-keyring and no plain-text file."""
    if backend is not None:
        chain_env["GLASSDOME_SECRETS_BACKEND"] = backend
    found = run_child(chain_env, "proxmox_password", VALUE)
    assert found["keyring"] == "keyring.backends.chainer.ChainerBackend"
    assert found["members"] == [KEYRING_BACKEND, PLAINTEXT]
    assert found["backend"] == "keyring"
    assert found["found"]
    said = f"{KEYRING_BACKEND} answered (the secure member of keyring's chain; "
    assert found["probe"] == said + f"insecure members skipped: {PLAINTEXT})"
    if backend is None:
        assert found["probe"] in found["reason"]
    else:
        assert found["reason"] == "GLASSDOME_SECRETS_BACKEND=keyring"
    assert found["details"]["keyring"] == KEYRING_BACKEND
    assert found["details"]["keyring skipped"].startswith(f"{PLAINTEXT} (")
    looked_up = run_tool(
        ["secret-tool", "lookup", "service", SERVICE, "username", "proxmox_password"], chain_env
    )
    assert looked_up.returncode == 0, looked_up.stderr
    assert looked_up.stdout == VALUE
    assert not plaintext_file(chain_env).exists()
    assert not (Path(chain_env["GLASSDOME_HOME"]) / "secrets.encrypted").exists()


@pytest.mark.secret_service
def test_a_value_in_the_plaintext_keyring_is_never_read(chain_env: dict[str, str]) -> None:
    """keyring's chain would return the plain-text entry; glassdome asks the Secret Service only."""
    from keyrings.alt.file import PlaintextKeyring

    decoy = PlaintextKeyring()
    decoy.file_path = str(plaintext_file(chain_env))  # this test's data root, not the account's
    decoy.set_password(SERVICE, "decoy", VALUE)
    before = plaintext_file(chain_env).read_bytes()
    found = run_child(chain_env, "decoy")
    assert found["members"] == [KEYRING_BACKEND, PLAINTEXT]
    assert not found["found_any"]
    assert plaintext_file(chain_env).read_bytes() == before


@pytest.mark.secret_service
def test_doctor_names_the_member_used_and_the_ones_skipped(chain_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "glassdome", "secrets", "doctor", "--json"],
        env=chain_env,
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    text = done.stdout
    assert f"{KEYRING_BACKEND} answered" in text
    assert "keyring skipped" in text
    assert PLAINTEXT in text
    assert "never read or written" in text


def test_a_chain_of_only_insecure_keyrings_is_still_refused(tmp_path: Path) -> None:
    """keyring's chainer asked for by name, with only the plain-text keyring to chain: the file."""
    env = headless_env(
        tmp_path,
        None,
        PYTHON_KEYRING_BACKEND="keyring.backends.chainer.ChainerBackend",
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
    )
    chosen = select_in_child(env)
    assert chosen["backend"] == "file"
    available, reason = chosen["probes"]["keyring"]
    assert not available
    assert "keyrings.alt's PlaintextKeyring stores in plain text" in reason
    assert not plaintext_file(env).exists()


def test_explicit_keyring_refuses_a_chain_of_only_insecure_keyrings(tmp_path: Path) -> None:
    env = headless_env(
        tmp_path,
        "keyring",
        PYTHON_KEYRING_BACKEND="keyring.backends.chainer.ChainerBackend",
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
    )
    chosen = select_in_child(env)
    assert chosen["error"] == "BackendUnavailable"
    assert "stores in plain text" in chosen["message"]
    assert not plaintext_file(env).exists()
