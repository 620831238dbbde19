"""`glassdome secrets doctor` end to end: what it checks, what needs attention, and the
exit code that says so."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.runner import Cli


def checks_by_name(result) -> dict[str, dict[str, str]]:
    return {check["name"]: check for check in json.loads(result.out)["checks"]}


def test_doctor_reports_backend_keyring_paths_permissions_and_a_weak_kdf(cli: Cli, home: Path):
    cli.set("something", "value")
    result = cli("secrets", "doctor", "--json")
    assert result.code == 1, str(result)  # the test KDF is below the default
    checks = checks_by_name(result)
    assert checks["backend"]["status"] == "ok"
    assert checks["backend"]["detail"] == "file: GLASSDOME_SECRETS_BACKEND=file"
    assert checks["OS keyring"]["status"] in {"ok", "info"}
    assert checks["OS keyring"]["detail"]
    assert checks["store"]["detail"] == str(home / "secrets.encrypted")
    assert checks["key"]["detail"] == str(home / "master_key.enc")
    assert checks[f"permissions {home.name}"] == {
        "name": f"permissions {home.name}",
        "status": "ok",
        "detail": "0700",
    }
    for name in ("secrets.encrypted", "master_key.enc"):
        assert checks[f"permissions {name}"]["status"] == "ok"
        assert checks[f"permissions {name}"]["detail"] == "0600"
    assert checks["KDF"]["status"] == "attention"
    assert "argon2id m=19 MiB t=2" in checks["KDF"]["detail"]
    assert "below the current default" in checks["KDF"]["detail"]
    attention = [c["name"] for c in checks.values() if c["status"] == "attention"]
    assert attention == ["KDF"]
    assert [c["name"] for c in checks.values() if "argon2id" in c["detail"]] == ["KDF"]


def test_doctor_table_names_the_finding_and_exits_1(cli: Cli):
    cli.set("something", "value")
    result = cli("secrets", "doctor")
    assert result.code == 1, str(result)
    assert "┃ check" in result.out
    assert "KDF" in result.out
    assert "attention" in result.out
    assert "1 finding(s) need attention." in result.out


def test_doctor_flags_loose_permissions(cli: Cli, home: Path):
    cli.set("something", "value")
    (home / "secrets.encrypted").chmod(0o644)
    result = cli("secrets", "doctor", "--json")
    assert result.code == 1
    check = checks_by_name(result)["permissions secrets.encrypted"]
    assert check["status"] == "attention"
    assert "chmod 0600" in check["detail"]


def test_doctor_flags_plaintext_secrets_in_env_by_name_only(cli: Cli, work: Path):
    (work / ".env").write_text("PROXMOX_HOST=pve\nPROXMOX_PASSWORD=plain-in-env\n")
    result = cli("secrets", "doctor", "--json")
    assert result.code == 1
    check = checks_by_name(result)[".env"]
    assert check["status"] == "attention"
    assert "PROXMOX_PASSWORD" in check["detail"]
    assert "plain-in-env" not in result.out + result.err


def test_doctor_exits_0_when_nothing_needs_attention(cli: Cli):
    result = cli("secrets", "doctor", "--json")
    assert result.code == 0, str(result)
    assert all(c["status"] != "attention" for c in checks_by_name(result).values())
