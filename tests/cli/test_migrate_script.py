"""scripts/migrate_secrets.py end to end: it asks on a terminal, and migrates without
asking when there is none."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.cli.env_cases import CASES, expected_secrets, scrubbed_pattern, text_of
from tests.cli.runner import SCRIPT, Cli, finish


@pytest.mark.parametrize(("answer", "code"), [("n", 1), ("y", 0)])
def test_migrate_script_asks_before_storing(
    cli: Cli, work: Path, home: Path, answer: str, code: int
):
    chunks = CASES["plain"] + CASES["export"]
    (work / ".env").write_bytes(text_of(chunks))
    child = cli.spawn([sys.executable, str(SCRIPT)])
    child.expect(r"Store 2 secrets\?")
    child.sendline(answer)
    exit_code, transcript = finish(child)
    assert exit_code == code, transcript
    if answer == "n":
        assert "Nothing stored" in transcript
        assert not (home / "secrets.encrypted").exists()
    else:
        assert cli.stored_variables() == expected_secrets(work / ".env")
    assert (work / ".env").read_bytes() == text_of(chunks)


def test_migrate_script_without_a_terminal_migrates_without_asking(cli: Cli, work: Path):
    (work / ".env").write_bytes(text_of(CASES["plain"]))
    result = cli.script("--scrub")
    assert result.code == 0, str(result)
    assert "?" not in result.err
    assert cli.stored_variables() == {"PROXMOX_PASSWORD": "plain-Value_1"}
    assert scrubbed_pattern(CASES["plain"]).fullmatch((work / ".env").read_bytes())
