"""One rule decides which variables are secrets: config.set, migrate and doctor agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from glassdome.commands.doctor import _plaintext_check
from glassdome.core.migration import secret_keys
from glassdome.primitives.names import is_secret_variable, secret_store_name
from glassdome.steps.config import ConfigSetArgs

INSTANCE_SECRETS = [
    ("PROXMOX_PASSWORD_02", "proxmox_password_02"),
    ("proxmox_password_02", "proxmox_password_02"),
    ("PROXMOX_TOKEN_VALUE_02", "proxmox_token_value_02"),
    ("PROXMOX_02_TOKEN_VALUE", "proxmox_token_value_02"),
    ("PROXMOX_02_PASSWORD", "proxmox_password_02"),
    ("ESXI_PASSWORD_03", "esxi_password_03"),
    ("OPENAI_API_KEY", "openai_api_key"),
]
NOT_SECRETS = [
    "PROXMOX_02_HOST",
    "PROXMOX_HOST",
    "PROXMOX_TOKEN_NAME",
    "PROXMOX_02_TOKEN_NAME",
    "PROXMOX_TOKEN_VALUE_2",
    "PROXMOX_PASSWORD_",
    "AZURE_TENANT_ID",
    "PROXMOX_PASSWORD\u212a",
]


@pytest.mark.parametrize(("key", "store_name"), INSTANCE_SECRETS)
def test_instance_secrets_are_secret_variables(key: str, store_name: str) -> None:
    assert is_secret_variable(key)
    assert secret_store_name(key) == store_name


@pytest.mark.parametrize("key", NOT_SECRETS)
def test_settings_are_not_secret_variables(key: str) -> None:
    assert not is_secret_variable(key)


@pytest.mark.parametrize(("key", "store_name"), INSTANCE_SECRETS)
def test_config_set_refuses_instance_secrets(key: str, store_name: str) -> None:
    with pytest.raises(ValidationError, match="secret"):
        ConfigSetArgs(values={key: "x"}, file=None)


def test_config_set_accepts_instance_settings() -> None:
    assert ConfigSetArgs(values={"PROXMOX_02_HOST": "h"}, file=None).values == {
        "PROXMOX_02_HOST": "h"
    }


@pytest.mark.parametrize(("key", "store_name"), INSTANCE_SECRETS)
def test_migrate_and_doctor_find_instance_secrets(
    key: str, store_name: str, tmp_path: Path
) -> None:
    assert secret_keys({key: "v", "PROXMOX_02_HOST": "h"}) == {key: "v"}
    env = tmp_path / ".env"
    env.write_text(f"{key}=v\nPROXMOX_02_HOST=h\n")
    check = _plaintext_check(env, ".env")
    assert check is not None
    assert check.status == "attention"
    assert key in check.detail
