"""Auto selection is sticky, and a keyring that fails after selection is a glassdome error."""

from __future__ import annotations

import io
from pathlib import Path

import keyring.core
import pytest

from glassdome.commands.secrets import change_password
from glassdome.core.secrets import MARKER_FILE, SecretsManager
from glassdome.errors import BackendUnavailable, SecretStoreError
from glassdome.ui.console import Terminal
from tests.secret_service import KEYRING_BACKEND, secret_service

NO_KEYRING = "keyring.backends.fail.Keyring"


def use_keyring(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)


def test_auto_records_the_file_backend_and_keeps_it_when_a_keyring_appears(
    home: Path, password_env: str, keyring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_keyring(monkeypatch, NO_KEYRING)
    first = SecretsManager()
    first.set_secret("proxmox_password", "in-the-file")
    assert first.backend_name == "file"
    assert (home / MARKER_FILE).read_text() == "file\n"

    use_keyring(monkeypatch, KEYRING_BACKEND)  # the keyring is usable now
    later = SecretsManager()
    assert later.backend_name == "file"
    assert "secrets stored here are in the file backend" in later.describe().reason
    assert later.get_secret("proxmox_password") == "in-the-file"


def test_an_existing_file_store_keeps_auto_on_the_file(
    home: Path, password_env: str, keyring_env: dict[str, str]
) -> None:
    """A store made before the marker existed (or by an explicit choice) still counts."""
    SecretsManager(backend="file").set_secret("token", "value")
    assert not (home / MARKER_FILE).exists()
    assert SecretsManager().backend_name == "file"


def test_auto_records_the_keyring_and_refuses_to_fall_back_when_it_is_gone(
    home: Path, password_env: str, keyring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = SecretsManager()
    first.set_secret("proxmox_password", "in-the-keyring")
    assert first.backend_name == "keyring"
    assert (home / MARKER_FILE).read_text() == "keyring\n"

    use_keyring(monkeypatch, NO_KEYRING)  # locked or gone today
    with pytest.raises(BackendUnavailable, match="secrets are in the keyring backend"):
        SecretsManager().get_secret("proxmox_password")
    assert not (home / "secrets.encrypted").exists()  # no second, split store


def test_explicit_choices_leave_no_marker(home: Path, password_env: str) -> None:
    SecretsManager(backend="file").set_secret("token", "value")
    assert not (home / MARKER_FILE).exists()


def test_a_keyring_that_stops_after_selection_raises_a_clear_error(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon dies mid-run: reads and writes fail with BackendUnavailable, no value quoted."""
    with secret_service(tmp_path / "short-lived") as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        use_keyring(monkeypatch, KEYRING_BACKEND)
        manager = SecretsManager(backend="keyring")
        manager.set_secret("token", "before-the-crash")
    with pytest.raises(
        BackendUnavailable, match="the OS keyring failed while reading token"
    ) as read:
        manager.get_secret("token")
    # A write reads the secret's metadata record first, so that is where it stops.
    with pytest.raises(
        BackendUnavailable, match=r"failed while (storing|reading the metadata of token)"
    ) as write:
        manager.set_secret("token", "canary-value-9d2f")
    assert "canary-value-9d2f" not in str(write.value)
    assert "before-the-crash" not in str(read.value)


def test_kdf_settings_concern_the_file_store_only(
    home: Path, password_env: str, keyring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A KDF below the floor is refused by the encrypted file, and stops no other backend."""
    monkeypatch.setenv("GLASSDOME_KDF_MEMORY_KIB", "10")
    use_keyring(monkeypatch, KEYRING_BACKEND)
    keyring_store = SecretsManager(backend="keyring")
    keyring_store.set_secret("lab_token", "kept-in-the-keyring")
    assert keyring_store.get_secret("lab_token") == "kept-in-the-keyring"
    with pytest.raises(BackendUnavailable, match=r"^GLASSDOME_KDF_MEMORY_KIB/"):
        SecretsManager(backend="file").set_secret("lab_token", "x" * 12)
    assert not (home / "master_key.enc").exists()


def test_a_bad_kdf_setting_stops_no_keyring_chosen_by_auto(
    home: Path, password_env: str, keyring_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Auto asks the file backend whether it holds secrets; that alone reads no KDF setting."""
    monkeypatch.setenv("GLASSDOME_KDF_MEMORY_KIB", "10")
    store = SecretsManager()
    store.set_secret("lab_token", "kept-in-the-keyring")
    assert store.backend_name == "keyring"
    assert SecretsManager().get_secret("lab_token") == "kept-in-the-keyring"


def test_a_lock_file_alone_is_no_file_store(
    home: Path, password_env: str, keyring_env: dict[str, str]
) -> None:
    """Only a store or key file means secrets live in the file backend; its lock does not."""
    home.mkdir(mode=0o700)
    (home / "secrets.lock").touch(mode=0o600)  # as a write that failed under the lock leaves it
    assert SecretsManager().backend_name == "keyring"
    (home / "master_key.enc").touch(mode=0o600)
    assert SecretsManager().backend_name == "file"


def test_passwd_on_a_backend_without_a_master_password_is_refused_before_asking(
    home: Path, keyring_env: dict[str, str]
) -> None:
    """No password source is set: asking for one would fail differently (no terminal)."""
    manager = SecretsManager(backend="keyring")
    term = Terminal(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(), env={})
    with pytest.raises(SecretStoreError, match="keyring backend has no glassdome master password"):
        change_password(term, manager=manager)
    with pytest.raises(SecretStoreError, match="protected by its own login"):
        manager.change_master_password("old password", "new password")
