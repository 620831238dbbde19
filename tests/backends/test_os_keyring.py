"""The OS keyring backend against a real gnome-keyring, a locked one, and none at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from glassdome.backends.os_keyring import SERVICE, OsKeyringBackend
from glassdome.core.secrets import SecretsManager
from glassdome.errors import BackendUnavailable
from tests.conftest import subprocess_env
from tests.secret_service import KEYRING_BACKEND, run_tool, secret_service, stored_items

# Guards a child process against hanging; never a timing assertion.
GUARD = 60.0

# Selects a backend the way an application does (from the environment) and reports it.
SELECT = """
import json
from glassdome.core.secrets import SecretsManager
from glassdome.errors import BackendUnavailable

try:
    chosen = SecretsManager().describe()
except BackendUnavailable as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
else:
    print(json.dumps({
        "backend": chosen.backend,
        "requested": chosen.requested,
        "reason": chosen.reason,
        "probes": {name: [p.available, p.reason] for name, p in chosen.probes.items()},
    }))
"""


def select_in_child(env: dict[str, str]) -> dict[str, Any]:
    """Run backend selection in a fresh interpreter with *env*; return what it reported."""
    done = subprocess.run(
        [sys.executable, "-c", SELECT],
        env=env,
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def child_env(home: Path, backend: str | None, **extra: str) -> dict[str, str]:
    """`subprocess_env` with *backend* as GLASSDOME_SECRETS_BACKEND (None: unset, i.e. auto)."""
    env = subprocess_env(home, **extra)
    if backend is None:
        del env["GLASSDOME_SECRETS_BACKEND"]
    else:
        env["GLASSDOME_SECRETS_BACKEND"] = backend
    return env


def headless_env(tmp_path: Path, backend: str | None, **extra: str) -> dict[str, str]:
    """A child environment with no D-Bus at all and no keyring choice or configuration."""
    runtime = tmp_path / "empty-runtime"
    config = tmp_path / "empty-config"
    for folder in (runtime, config):
        folder.mkdir(mode=0o700, exist_ok=True)
    env = child_env(
        tmp_path / "home",
        backend,
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(config),
        GLASSDOME_KEYRING_TIMEOUT="30",  # a slow machine must not turn "no" into "no answer"
    )
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(extra)
    return env


def all_items() -> tuple[list[str], list[str]]:
    """Every collection and every item in the Secret Service this process points at."""
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        collections = list(secretstorage.get_all_collections(connection))
        items = [item.item_path for c in collections for item in c.get_all_items()]
        return sorted(c.collection_path for c in collections), sorted(items)


# -- interoperability with the desktop's own tools -----------------------------------


@pytest.mark.secret_service
def test_secret_tool_reads_what_glassdome_stores(keyring_env: dict[str, str], home: Path) -> None:
    SecretsManager(home=home, backend="keyring").set_secret("Proxmox_Password", "from-glassdome")
    found = run_tool(
        ["secret-tool", "lookup", "service", SERVICE, "username", "proxmox_password"], keyring_env
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout == "from-glassdome"


@pytest.mark.secret_service
def test_keyring_cli_reads_what_glassdome_stores(keyring_env: dict[str, str], home: Path) -> None:
    SecretsManager(home=home, backend="keyring").set_secret("api_token", "pässwörd-🔑")
    found = subprocess.run(
        [sys.executable, "-m", "keyring", "get", SERVICE, "api_token"],
        env={**os.environ, **keyring_env, "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=GUARD,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout == "pässwörd-🔑\n"


@pytest.mark.secret_service
def test_glassdome_reads_what_secret_tool_stores(keyring_env: dict[str, str], home: Path) -> None:
    stored = run_tool(
        ["secret-tool", "store", "--label=x", "service", SERVICE, "username", "azure_secret"],
        keyring_env,
        stdin="from-secret-tool",
    )
    assert stored.returncode == 0, stored.stderr
    manager = SecretsManager(home=home, backend="keyring")
    assert manager.get_secret("azure_secret") == "from-secret-tool"
    assert manager.get_secret("Azure_Secret") == "from-secret-tool"


# -- selection ------------------------------------------------------------------------


@pytest.mark.secret_service
def test_auto_selects_the_running_secret_service(keyring_env: dict[str, str], home: Path) -> None:
    """With GLASSDOME_SECRETS_BACKEND unset, an unlocked Secret Service is chosen."""
    assert "GLASSDOME_SECRETS_BACKEND" not in os.environ
    manager = SecretsManager(home=home)
    assert manager.backend_name == "keyring"
    described = manager.describe()
    assert described.requested == "auto"
    assert "SecretService" in described.reason
    assert described.details == {"keyring": KEYRING_BACKEND, "service": SERVICE}
    assert described.probes["keyring"].available


@pytest.mark.secret_service
def test_availability_probe_writes_nothing(keyring_env: dict[str, str], home: Path) -> None:
    """Probing (and selecting) reads the keyring but creates no item, collection or file."""
    before = all_items()
    manager = SecretsManager(home=home)
    assert manager.backend.availability().available
    assert OsKeyringBackend(timeout=30).availability().available
    assert stored_items(keyring_env, SERVICE) == []
    assert all_items() == before
    assert not home.exists()


def test_headless_auto_selects_the_file(tmp_path: Path) -> None:
    """Without any D-Bus session, auto selection takes the encrypted file and says why."""
    chosen = select_in_child(headless_env(tmp_path, None))
    assert chosen["backend"] == "file"
    available, reason = chosen["probes"]["keyring"]
    assert not available
    assert "no usable OS keyring" in reason
    assert reason in chosen["reason"]


def test_headless_explicit_keyring_is_an_error_with_the_reason(tmp_path: Path) -> None:
    """Asking for the keyring where there is none never falls back silently."""
    chosen = select_in_child(headless_env(tmp_path, "keyring"))
    assert chosen["error"] == BackendUnavailable.__name__
    message = chosen["message"]
    assert "GLASSDOME_SECRETS_BACKEND=keyring was asked for" in message
    assert "no usable OS keyring" in message
    assert "GLASSDOME_SECRETS_BACKEND=auto" in message


@pytest.mark.parametrize("backend", [None, "keyring"], ids=["auto", "explicit"])
def test_a_keyring_that_never_answers_does_not_hang(tmp_path: Path, backend: str | None) -> None:
    """A blocking keyring is abandoned after GLASSDOME_KEYRING_TIMEOUT and the process exits."""
    env = headless_env(
        tmp_path,
        backend,
        PYTHON_KEYRING_BACKEND="tests.helpers.blocking_keyring.BlockingKeyring",
        GLASSDOME_KEYRING_TIMEOUT="0.5",
    )
    chosen = select_in_child(env)  # returns only if the child exits by itself
    if backend is None:
        assert chosen["backend"] == "file"
        available, reason = chosen["probes"]["keyring"]
        assert not available
        assert "did not answer within 0.5s" in reason
    else:
        assert chosen["error"] == BackendUnavailable.__name__
        assert "did not answer within 0.5s" in chosen["message"]


# -- a Secret Service with nothing unlocked ---------------------------------------------


def _keyring_files(base: Path) -> dict[str, bytes]:
    folder = base / "data" / "keyrings"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


@pytest.mark.secret_service
@pytest.mark.parametrize(
    ("existing", "refusal"),
    [
        (False, "InitError: Failed to create the collection: Prompt dismissed"),
        (True, "KeyringLocked: Failed to unlock the collection!"),
    ],
    ids=["no-login-keyring", "login-keyring-locked"],
)
def test_a_locked_secret_service_refuses_at_once_and_auto_takes_the_file(
    tmp_path: Path, existing: bool, refusal: str
) -> None:
    """gnome-keyring with nothing unlocked answers "no" (its prompt is dismissed), never hangs.

    Either there is no login keyring yet (creating one needs a prompt), or the
    one from an earlier login is locked (unlocking needs a prompt); with no
    display the prompt is dismissed at once. Nothing is created or changed.
    """
    base = tmp_path / "secret-service"
    if existing:
        with secret_service(base) as env:  # an earlier, unlocked session stores one item
            stored = run_tool(
                ["secret-tool", "store", "--label=x", "service", SERVICE, "username", "kept"],
                env,
                stdin="kept-value",
            )
            assert stored.returncode == 0, stored.stderr
    with secret_service(base, unlock=False) as env:
        before = _keyring_files(base)
        bus = {**env, "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND, "GLASSDOME_KEYRING_TIMEOUT": "20"}
        home = tmp_path / "home"

        auto = select_in_child(child_env(home, None, **bus))
        assert auto["backend"] == "file"
        available, reason = auto["probes"]["keyring"]
        assert not available
        assert f"the OS keyring failed: {refusal}" in reason

        explicit = select_in_child(child_env(home, "keyring", **bus))
        assert explicit["error"] == BackendUnavailable.__name__
        assert refusal in explicit["message"]

        assert _keyring_files(base) == before
        assert len(stored_items(env, SERVICE)) == (1 if existing else 0)
