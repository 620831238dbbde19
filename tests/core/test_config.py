"""Settings: precedence, laziness, multi-instance Proxmox, and no secret in reprs or errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from glassdome.core.config import LazySettings, Settings
from glassdome.core.secrets import get_secrets_manager
from glassdome.errors import MasterPasswordUnavailable
from tests.conftest import subprocess_env

CANARY = "canary-4b1d-Zq!x"


def _value(settings: Settings, field: str) -> str | None:
    secret = getattr(settings, field)
    return None if secret is None else secret.get_secret_value()


def test_default_applies_when_nothing_else_is_set(workdir: Path) -> None:
    assert Settings().proxmox_port == 8006
    assert Settings().proxmox_password is None


def test_dotenv_beats_default(workdir: Path) -> None:
    (workdir / ".env").write_text("PROXMOX_PORT=8443\nPROXMOX_PASSWORD=from-dotenv\n")
    settings = Settings()
    assert settings.proxmox_port == 8443
    assert _value(settings, "proxmox_password") == "from-dotenv"


def test_store_beats_dotenv(workdir: Path) -> None:
    (workdir / ".env").write_text("PROXMOX_PASSWORD=from-dotenv\n")
    get_secrets_manager().set_secret("proxmox_password", "from-store")
    assert _value(Settings(), "proxmox_password") == "from-store"


def test_environment_beats_store(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    get_secrets_manager().set_secret("proxmox_password", "from-store")
    monkeypatch.setenv("PROXMOX_PASSWORD", "from-env")
    assert _value(Settings(), "proxmox_password") == "from-env"


def test_constructor_beats_environment(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROXMOX_PASSWORD", "from-env")
    assert _value(Settings(proxmox_password="from-init"), "proxmox_password") == "from-init"


def test_env_file_location_comes_from_glassdome_env_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = workdir / "lab.env"
    other.write_text("PROXMOX_HOST=pve.lab\n")
    (workdir / ".env").write_text("PROXMOX_HOST=ignored\n")
    monkeypatch.setenv("GLASSDOME_ENV_FILE", str(other))
    assert Settings().proxmox_host == "pve.lab"


def test_secrets_from_the_environment_never_open_the_store(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that cannot be unlocked does not matter when the environment has every secret."""
    get_secrets_manager().set_secret("proxmox_password", "stored")
    monkeypatch.delenv("GLASSDOME_MASTER_PASSWORD")
    from glassdome.core.config import SECRET_FIELDS
    from glassdome.core.secrets import reset_secrets_manager

    reset_secrets_manager()
    for field in SECRET_FIELDS:
        monkeypatch.setenv(field.upper(), f"env-{field}")
    assert _value(Settings(), "proxmox_password") == "env-proxmox_password"


def test_locked_store_raises_instead_of_returning_the_dotenv_value(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / ".env").write_text("PROXMOX_PASSWORD=stale-dotenv\nPROXMOX_HOST=pve\n")
    get_secrets_manager().set_secret("proxmox_password", "stored")
    monkeypatch.delenv("GLASSDOME_MASTER_PASSWORD")
    from glassdome.core.secrets import reset_secrets_manager

    reset_secrets_manager()
    lazy = LazySettings()
    assert lazy.proxmox_host == "pve"  # plain settings need no unlock
    with pytest.raises(MasterPasswordUnavailable, match="GLASSDOME_MASTER_PASSWORD"):
        _ = lazy.proxmox_password


def test_one_unlock_per_process_across_settings_and_manager(workdir: Path) -> None:
    manager = get_secrets_manager()
    manager.set_many({"proxmox_password": "a", "openai_api_key": "b"})
    lazy = LazySettings()
    assert _value(lazy, "proxmox_password") == "a"  # type: ignore[arg-type]
    assert _value(Settings(), "openai_api_key") == "b"
    assert manager.backend.unlock_count == 1  # type: ignore[attr-defined]


def test_importing_config_touches_nothing(tmp_path: Path) -> None:
    """Import and plain reads in a fresh process: no store folder appears, no password asked."""
    home = tmp_path / "untouched-home"
    env = subprocess_env(home, PROXMOX_HOST="pve.example")
    del env["GLASSDOME_MASTER_PASSWORD"]
    code = (
        "import glassdome.core.config as c\n"
        "from glassdome.core.config import settings\n"
        "assert settings.proxmox_host == 'pve.example', settings.proxmox_host\n"
        "print(repr(settings))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not home.exists()


def test_proxmox_instances_are_found_in_store_env_and_dotenv(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / ".env").write_text(
        "PROXMOX_HOST=pve1\nPROXMOX_03_HOST=pve3\nPROXMOX_03_USER=ops@pve\n"
        "PROXMOX_03_TOKEN_NAME=glassdome\n"
    )
    monkeypatch.setenv("PROXMOX_04_HOST", "pve4")
    manager = get_secrets_manager()
    manager.set_many({"proxmox_token_value_02": "tok-02", "proxmox_token_value_03": "tok-03"})
    settings = Settings()
    assert settings.proxmox_instances() == ["", "02", "03", "04"]
    third = settings.proxmox_instance("03")
    assert (third.host, third.user, third.token_name, third.port) == (
        "pve3",
        "ops@pve",
        "glassdome",
        8006,
    )
    assert third.token_value is not None
    assert third.token_value.get_secret_value() == "tok-03"
    assert settings.proxmox_instance("04").token_value is None
    assert settings.proxmox_instance("").host == "pve1"
    with pytest.raises(ValueError, match="two digits"):
        settings.proxmox_instance("x")


def test_secrets_never_appear_in_repr_or_validation_errors(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    get_secrets_manager().set_secret("proxmox_password", CANARY)
    settings = Settings()
    assert CANARY not in repr(settings)
    assert CANARY not in str(settings.model_dump())
    lazy = LazySettings()
    _ = lazy.proxmox_password
    assert CANARY not in repr(lazy)
    monkeypatch.setenv("PROXMOX_PORT", CANARY)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert CANARY not in str(caught.value)
    assert CANARY not in repr(caught.value)


def test_constructor_secrets_never_open_the_store(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store source skips what a higher source provided (pydantic-settings' current_state)."""
    get_secrets_manager().set_secret("proxmox_password", "stored")
    monkeypatch.delenv("GLASSDOME_MASTER_PASSWORD")
    from glassdome.core.config import SECRET_FIELDS
    from glassdome.core.secrets import reset_secrets_manager

    reset_secrets_manager()
    given = {field: f"init-{field}" for field in SECRET_FIELDS}
    assert _value(Settings(**given), "proxmox_password") == "init-proxmox_password"
    with pytest.raises(MasterPasswordUnavailable):
        Settings()  # the same store, asked this time


def test_a_numbered_instance_follows_the_settings_precedence(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Environment > store > .env for every PROXMOX_NN_* value and its token, as for Settings."""
    (workdir / ".env").write_text(
        "PROXMOX_05_HOST=from-dotenv\nPROXMOX_05_PORT=8443\nPROXMOX_TOKEN_VALUE_05=dotenv-token\n"
        "PROXMOX_06_VERIFY_SSL=off\nPROXMOX_TOKEN_VALUE_06=dotenv-token-06\n"
    )
    monkeypatch.setenv("PROXMOX_05_HOST", "from-env")
    get_secrets_manager().set_many(
        {"proxmox_token_value_05": "store-token", "proxmox_token_value_06": "store-token-06"}
    )
    monkeypatch.setenv("PROXMOX_TOKEN_VALUE_06", "env-token-06")
    fifth = Settings().proxmox_instance("05")
    assert (fifth.suffix, fifth.host, fifth.port) == ("05", "from-env", 8443)
    assert fifth.verify_ssl is True
    assert fifth.token_value is not None
    assert fifth.token_value.get_secret_value() == "store-token"  # the store beats .env
    sixth = Settings().proxmox_instance("06")
    assert sixth.verify_ssl is False  # read like PROXMOX_VERIFY_SSL: off, 0, false, no
    assert sixth.token_value is not None
    assert sixth.token_value.get_secret_value() == "env-token-06"  # the environment beats both
    assert "store-token" not in repr(fifth) + repr(sixth)


def test_a_numbered_instance_refuses_a_value_it_cannot_read_without_showing_it(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROXMOX_07_PORT", CANARY)
    with pytest.raises(ValidationError) as caught:
        Settings().proxmox_instance("07")
    assert CANARY not in str(caught.value)


def test_get_settings_is_the_typed_process_wide_settings(workdir: Path) -> None:
    from glassdome.core.config import get_settings, settings

    get_secrets_manager().set_secret("proxmox_password", "from-store")
    settings.reload()
    typed = get_settings()
    assert isinstance(typed, Settings)
    assert typed is get_settings()
    assert _value(typed, "proxmox_password") == "from-store"
    assert settings.proxmox_password is typed.proxmox_password
    settings.reload()
    assert get_settings() is not typed
