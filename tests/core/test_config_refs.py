"""Settings with secret references: ``glassdome:NAME`` in ``.env`` or the environment is the
stored secret NAME (the real file store), a missing name is an error, and no repr shows it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from glassdome.core.config import LazySettings, Settings
from glassdome.core.secrets import get_secrets_manager, reset_secrets_manager
from glassdome.errors import GlassdomeError, MasterPasswordUnavailable
from glassdome.primitives.refs import InvalidReference, UnresolvedReference
from tests.leaks import forms

CANARY = "canary-Settings-Ref-51e9"
HOST = "pve-from-the-store.lab"


@pytest.fixture
def workdir(workdir: Path) -> Path:
    """The Settings tests' project folder, with the secrets the references name stored."""
    get_secrets_manager().set_many({"pve_token": CANARY, "pve_host": HOST, "pve_port": "8443"})
    return workdir


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()


def _assert_hidden(text: str) -> None:
    for form in forms(CANARY).values():
        assert form not in text
    assert HOST not in text


def test_a_reference_in_dotenv_is_the_stored_secret(workdir: Path):
    (workdir / ".env").write_text("PROXMOX_TOKEN_VALUE=glassdome:pve_token\n")
    assert _secret(Settings().proxmox_token_value) == CANARY


def test_a_reference_in_the_environment_is_the_stored_secret(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PROXMOX_TOKEN_VALUE", "glassdome:PVE_TOKEN")  # names read lower-cased
    assert _secret(Settings().proxmox_token_value) == CANARY


def test_a_reference_fills_plain_settings_too_and_their_repr_hides_it(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
):
    (workdir / ".env").write_text(
        "PROXMOX_HOST=glassdome:pve_host\nPROXMOX_PORT=glassdome:pve_port\n"
    )
    monkeypatch.setenv("PROXMOX_TOKEN_VALUE", "glassdome:pve_token")
    settings = Settings()
    assert (settings.proxmox_host, settings.proxmox_port) == (HOST, 8443)
    _assert_hidden(repr(settings) + str(settings))
    lazy = LazySettings()
    assert lazy.proxmox_host == HOST  # a plain read opens the store only for a reference
    _assert_hidden(repr(lazy))
    instance = settings.proxmox_instance()
    assert (instance.host, instance.port) == (HOST, 8443)
    _assert_hidden(repr(instance) + str(instance))
    assert "port=SecretStr('**********')" in repr(instance)  # masked, not left out


def test_a_numbered_instance_hides_what_references_filled(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
):
    (workdir / ".env").write_text("PROXMOX_02_HOST=glassdome:pve_host\nPROXMOX_02_USER=ops@pve\n")
    instance = Settings().proxmox_instance("02")
    assert (instance.host, instance.user) == (HOST, "ops@pve")
    _assert_hidden(repr(instance))
    assert "user='ops@pve'" in repr(instance)


def test_the_store_still_beats_a_reference_in_dotenv_and_the_environment_beats_both(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
):
    get_secrets_manager().set_secret("proxmox_token_value", "own-name")
    (workdir / ".env").write_text("PROXMOX_TOKEN_VALUE=glassdome:pve_token\n")
    assert _secret(Settings().proxmox_token_value) == "own-name"
    monkeypatch.setenv("PROXMOX_TOKEN_VALUE", "glassdome:pve_token")
    assert _secret(Settings().proxmox_token_value) == CANARY


def test_a_reference_to_a_missing_name_is_an_error_naming_the_variable_and_the_name(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
):
    (workdir / ".env").write_text("PROXMOX_TOKEN_VALUE=glassdome:pve_tokn\n")
    with pytest.raises(UnresolvedReference) as caught:
        Settings()
    assert str(caught.value) == (
        "PROXMOX_TOKEN_VALUE (in .env) refers to the secret 'pve_tokn', which the store does "
        "not hold: store it (`glassdome secrets set pve_tokn`) or correct the name"
    )
    monkeypatch.setenv("PROXMOX_HOST", "glassdome:absent_host")
    with pytest.raises(UnresolvedReference, match=r"^PROXMOX_HOST \(in the environment\) refers"):
        LazySettings().proxmox_host  # noqa: B018  # the read is the test


def test_a_mistyped_reference_is_an_error_never_the_literal_text(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PROXMOX_PASSWORD", "glassdome:not a name")
    with pytest.raises(InvalidReference) as caught:
        Settings()
    assert isinstance(caught.value, GlassdomeError)
    assert "PROXMOX_PASSWORD" in str(caught.value)
    assert "not a name" not in str(caught.value)


def test_an_escaped_literal_is_read_with_one_colon_less(workdir: Path):
    (workdir / ".env").write_text("PROXMOX_PASSWORD=glassdome::literally\n")
    assert _secret(Settings().proxmox_password) == "glassdome:literally"


def test_a_numbered_instance_resolves_references_like_the_default_one(workdir: Path):
    (workdir / ".env").write_text(
        "PROXMOX_02_HOST=pve2\nPROXMOX_TOKEN_VALUE_02=glassdome:pve_token\n"
    )
    second = Settings().proxmox_instance("02")
    assert second.host == "pve2"
    assert _secret(second.token_value) == CANARY


def test_plain_reads_never_open_the_store_for_a_secret_field_reference(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
):
    """A reference in a secret field waits for the secret read; a plain read needs no password."""
    (workdir / ".env").write_text("PROXMOX_HOST=pve\nPROXMOX_TOKEN_VALUE=glassdome:pve_token\n")
    monkeypatch.delenv("GLASSDOME_MASTER_PASSWORD")
    reset_secrets_manager()
    lazy = LazySettings()
    assert lazy.proxmox_host == "pve"
    assert "glassdome:pve_token" not in repr(lazy)
    with pytest.raises(MasterPasswordUnavailable):
        lazy.proxmox_token_value  # noqa: B018  # the read is the test
