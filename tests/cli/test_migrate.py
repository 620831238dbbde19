"""`glassdome secrets migrate` end to end, over the .env cases of `tests.cli.env_cases`.

What gets stored is compared with what python-dotenv itself reads from the same
file; ``--scrub`` keeps every other byte.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.cli.env_cases import CASES, FULL, expected_secrets, scrubbed_pattern, text_of
from tests.cli.runner import Cli, one_error_line


def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(home.iterdir())}


def rows(result, variable: str) -> list[str]:
    """The report's table rows (on stdout) that name *variable*."""
    return [line for line in result.out.splitlines() if f" {variable} " in line]


@pytest.mark.parametrize("case", list(CASES))
def test_migrate_stores_what_python_dotenv_reads_and_scrub_keeps_every_other_byte(
    cli: Cli, work: Path, case: str
):
    chunks = CASES[case]
    env_file = work / ".env"
    original = text_of(chunks)
    env_file.write_bytes(original)
    expected = expected_secrets(env_file)
    assert expected, "every case holds at least one secret"

    result = cli("secrets", "migrate", "--scrub")
    assert result.code == 0, str(result)

    assert cli.stored_variables() == expected
    scrubbed = env_file.read_bytes()
    assert scrubbed_pattern(chunks).fullmatch(scrubbed), scrubbed
    for value in expected.values():
        assert value.encode("utf-8") not in scrubbed
    backup = work / ".env.bak"
    assert backup.read_bytes() == original
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_migrate_leaves_env_intact_and_a_second_run_changes_nothing(
    cli: Cli, work: Path, home: Path
):
    env_file = work / ".env"
    env_file.write_bytes(text_of(FULL))
    first = cli("secrets", "migrate")
    assert first.code == 0, str(first)
    assert "Stored 10, unchanged 0, conflicts 0" in first.out
    assert first.err == ""  # the report is on stdout; stderr is for talk
    assert env_file.read_bytes() == text_of(FULL)
    assert not (work / ".env.bak").exists()
    before = snapshot(home)

    second = cli("secrets", "migrate")
    assert second.code == 0, str(second)
    assert "Stored 0, unchanged 10, conflicts 0" in second.out
    for variable in expected_secrets(env_file):
        (row,) = rows(second, variable)
        assert "unchanged" in row
    assert snapshot(home) == before
    assert env_file.read_bytes() == text_of(FULL)
    assert cli.stored_variables() == expected_secrets(env_file)


def test_a_different_stored_value_is_a_conflict_kept_until_overwrite(cli: Cli, work: Path):
    cli.set("proxmox_password", "stored-differently")
    env_file = work / "lab" / "settings.env"
    env_file.parent.mkdir()
    env_file.write_text("PROXMOX_PASSWORD=from-env\nESXI_PASSWORD=esxi-from-env\n")

    conflict = cli("secrets", "migrate", "--env-file", "lab/settings.env")
    assert conflict.code == 1, str(conflict)
    (row,) = rows(conflict, "PROXMOX_PASSWORD")
    assert "conflict" in row
    assert "Stored 1, unchanged 0, conflicts 1" in conflict.out
    assert cli.stored_variables() == {
        "PROXMOX_PASSWORD": "stored-differently",
        "ESXI_PASSWORD": "esxi-from-env",
    }

    overwrite = cli("secrets", "migrate", "--env-file", "lab/settings.env", "--overwrite")
    assert overwrite.code == 0, str(overwrite)
    (row,) = rows(overwrite, "PROXMOX_PASSWORD")
    assert "overwrite" in row
    assert cli.stored_variables() == expected_secrets(env_file)


def test_scrub_keeps_a_variable_in_conflict_byte_for_byte(cli: Cli, work: Path):
    cli.set("proxmox_password", "stored-differently")
    chunks = [
        ("PROXMOX_HOST=pve.lab\r\n", False),
        ("PROXMOX_PASSWORD='in conflict'\r\n", False),
        ("ESXI_PASSWORD=esxi-from-env\r\n", True),
        ("# end\r\n", False),
    ]
    (work / ".env").write_bytes(text_of(chunks))
    result = cli("secrets", "migrate", "--scrub")
    assert result.code == 1, str(result)
    assert scrubbed_pattern(chunks).fullmatch((work / ".env").read_bytes())
    assert (work / ".env.bak").read_bytes() == text_of(chunks)
    assert cli.stored_variables() == {
        "PROXMOX_PASSWORD": "stored-differently",
        "ESXI_PASSWORD": "esxi-from-env",
    }


def test_dry_run_stores_nothing_and_creates_no_store(cli: Cli, work: Path, home: Path):
    (work / ".env").write_bytes(text_of(FULL))
    result = cli("secrets", "migrate", "--dry-run", "--scrub")
    assert result.code == 0, str(result)
    assert "would do" in result.out
    assert "Dry run: nothing stored (10 to store, 0 conflicts)" in result.out
    assert not home.exists()
    assert (work / ".env").read_bytes() == text_of(FULL)
    assert not (work / ".env.bak").exists()


def test_migrate_without_env_file_exits_1_with_one_line(cli: Cli):
    result = cli("secrets", "migrate")
    assert result.code == 1
    assert ".env" in one_error_line(result)


def test_migrate_of_a_non_utf8_env_file_exits_1_with_one_line(cli: Cli, work: Path, home: Path):
    (work / ".env").write_bytes(b"PROXMOX_PASSWORD=latin-1-\xe9\n")
    result = cli("secrets", "migrate")
    assert result.code == 1
    assert "UTF-8" in one_error_line(result)
    assert not home.exists()


def test_doctor_flags_plaintext_in_env_then_in_env_bak_after_scrub(cli: Cli, work: Path):
    (work / ".env").write_bytes(text_of(FULL))
    before = cli("secrets", "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(before.out)["checks"]}
    assert before.code == 1
    assert checks[".env"]["status"] == "attention"
    assert "PROXMOX_PASSWORD" in checks[".env"]["detail"]

    assert cli("secrets", "migrate", "--scrub").code == 0
    after = cli("secrets", "doctor", "--json")
    assert after.code == 1
    checks = {c["name"]: c for c in json.loads(after.out)["checks"]}
    assert checks[".env"]["status"] == "ok"
    assert checks[".env.bak"]["status"] == "attention"
    for variable in expected_secrets(work / ".env.bak"):
        assert variable in checks[".env.bak"]["detail"]
    assert checks["KDF"]["status"] == "attention"  # the fast test KDF is below the default
    assert "pve-password" not in after.out + after.err
