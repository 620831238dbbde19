"""`glassdome secrets doctor` and references in ``.env``: safe, not plaintext; a reference to a
name the store lacks needs attention; no password is asked to check them."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.commands.doctor import Check, diagnose
from glassdome.core.secrets import get_secrets_manager, reset_secrets_manager
from tests.cli.runner import Cli

CANARY = "canary-Doctor-Ref-0d4e"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, password_env: str) -> None:
    monkeypatch.setenv("GLASSDOME_SECRETS_BACKEND", "file")
    get_secrets_manager().set_secret("pve_token", CANARY)


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_references_in_dotenv_are_counted_safe_not_plaintext(store: None, work: Path):
    env_file = work / ".env"
    env_file.write_text("PROXMOX_TOKEN_VALUE=glassdome:pve_token\nPROXMOX_HOST=pve\n")
    checks = _by_name(diagnose(get_secrets_manager(), env_file))
    assert checks[".env"].status == "ok"
    assert checks["references"] == Check(
        "references",
        "ok",
        f"1 reference(s) to the store in {env_file} (no plaintext), each to a stored secret",
    )


def test_plaintext_beside_a_reference_is_still_reported(store: None, work: Path):
    env_file = work / ".env"
    env_file.write_text(
        "PROXMOX_TOKEN_VALUE=glassdome:pve_token\nESXI_PASSWORD=plain\n"
        "PROXMOX_PASSWORD=glassdome::escaped-literal\n"
    )
    checks = _by_name(diagnose(get_secrets_manager(), env_file))
    assert checks[".env"].status == "attention"
    assert "ESXI_PASSWORD, PROXMOX_PASSWORD;" in checks[".env"].detail
    assert "PROXMOX_TOKEN_VALUE" not in checks[".env"].detail


def test_a_reference_to_a_missing_name_needs_attention(store: None, work: Path):
    env_file = work / ".env"
    env_file.write_text("PROXMOX_TOKEN_VALUE=glassdome:pve_tokn\nESXI_PASSWORD=glassdome:Bad!\n")
    checks = _by_name(diagnose(get_secrets_manager(), env_file))
    missing = checks["reference PROXMOX_TOKEN_VALUE"]
    assert missing.status == "attention"
    assert "refers to 'pve_tokn', which the store does not hold" in missing.detail
    assert "`glassdome secrets set pve_tokn`" in missing.detail
    invalid = checks["reference ESXI_PASSWORD"]
    assert invalid.status == "attention"
    assert "Bad!" not in invalid.detail
    assert "references" not in checks


def test_without_a_password_the_references_are_counted_not_checked(
    store: None, work: Path, monkeypatch: pytest.MonkeyPatch
):
    env_file = work / ".env"
    env_file.write_text("PROXMOX_TOKEN_VALUE=glassdome:pve_tokn\n")
    monkeypatch.delenv("GLASSDOME_MASTER_PASSWORD")
    reset_secrets_manager()
    checks = _by_name(diagnose(get_secrets_manager(), env_file))
    assert checks["references"].status == "info"
    assert "not checked: doctor asks for no password" in checks["references"].detail
    assert "reference PROXMOX_TOKEN_VALUE" not in checks


def test_doctor_end_to_end_names_the_missing_reference_and_never_a_value(cli: Cli, work: Path):
    cli.set("pve_token", CANARY)
    (work / ".env").write_text(
        "PROXMOX_TOKEN_VALUE=glassdome:pve_token\nPROXMOX_PASSWORD=glassdome:gone\n"
    )
    result = cli("secrets", "doctor", "--json")
    assert result.code == 1, str(result)
    assert "reference PROXMOX_PASSWORD" in result.out
    assert "reference PROXMOX_TOKEN_VALUE" not in result.out
    assert CANARY not in result.out + result.err


def test_migrate_leaves_references_in_dotenv_alone(store: None, work: Path):
    """A reference is not a value to move into the store; an escaped literal is one."""
    from glassdome.core.migration import plan_migration

    env_file = work / ".env"
    env_file.write_text(
        "PROXMOX_TOKEN_VALUE=glassdome:pve_token\nPROXMOX_PASSWORD=glassdome::escaped\n"
    )
    items, to_store = plan_migration(env_file, get_secrets_manager())
    assert [item.env_key for item in items] == ["PROXMOX_PASSWORD"]
    assert to_store == {"proxmox_password": "glassdome:escaped"}
