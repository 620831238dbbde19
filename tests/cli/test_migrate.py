"""`glassdome secrets migrate`, scripts/migrate_secrets.py and the invoke tasks, end to end.

The .env cases are data: each is a list of chunks, flagged when the chunk is a
secret binding that ``--scrub`` must replace. What gets stored is compared with
what python-dotenv itself reads from the same file.
"""

from __future__ import annotations

import json
import re
import stat
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.cli.runner import SCRIPT, SECRET_VARIABLE, Cli, finish, one_error_line

Chunk = tuple[str, bool]  # text, and whether --scrub removes it (a secret binding)

CASES: dict[str, list[Chunk]] = {
    "plain": [
        ("PROXMOX_HOST=pve.lab\n", False),
        ("PROXMOX_PASSWORD=plain-Value_1\n", True),
    ],
    "single-quotes": [
        ("ESXI_PASSWORD='single $HOME \\n \"dq\" # not a comment \\' \\\\'\n", True),
    ],
    "double-quotes-with-escapes": [
        ('AZURE_CLIENT_SECRET="tab\\there\\nnew \\"quoted\\" back\\\\slash"\n', True),
        ("AZURE_TENANT_ID=tenant\n", False),
    ],
    "export": [
        ("export AWS_SECRET_ACCESS_KEY=exported/Key+1=\n", True),
        ("export AWS_REGION=eu-west-1\n", False),
    ],
    "multi-line-double-quoted": [
        ('OPENAI_API_KEY="-----BEGIN-----\nline two\n-----END-----"\n', True),
        ("AFTER=kept\n", False),
    ],
    "inline-comments": [
        ('ANTHROPIC_API_KEY="quoted value" # a comment\n', True),
        ("MAIL_API=unquoted-value # another comment\n", True),
        ("SECRET_KEY=hash#inside\n", True),
        ("MAIL_HOST=mail.lab # comment kept\n", False),
    ],
    "spaces-around-equals": [
        ("PROXMOX_PASSWORD = spaced value  \n", True),
        ("  ESXI_PASSWORD   =   'quoted spaced'  \n", True),
        ("ESXI_HOST = esxi.lab\n", False),
    ],
    "empty-value-and-key-without-equals": [
        ("PROXMOX_PASSWORD=\n", False),
        ("MAIL_API=''\n", False),
        ("SECRET_KEY\n", False),
        ("ESXI_PASSWORD=the-only-value\n", True),
    ],
    "comments-and-blank-lines": [
        ("# leading comment\n", False),
        ("\n", False),
        ("   \n", False),
        ("# PROXMOX_PASSWORD=commented-out\n", False),
        ("PROXMOX_PASSWORD=real-one\n", True),
        ("\n\n", False),
        ("#trailing comment\n", False),
    ],
    "crlf": [
        ("# windows\r\n", False),
        ("PROXMOX_HOST=pve.lab\r\n", False),
        ("PROXMOX_PASSWORD=crlf-value\r\n", True),
        ("\r\n", False),
        ('OPENAI_API_KEY="multi\r\nline"\r\n', True),
        ("AFTER=kept\r\n", False),
    ],
    "no-trailing-newline": [
        ("PROXMOX_HOST=pve.lab\n", False),
        ("PROXMOX_PASSWORD=last-line", True),
    ],
    "duplicate-keys-last-wins": [
        ("PROXMOX_PASSWORD=first-value\n", True),
        ("PROXMOX_HOST=between\n", False),
        ("PROXMOX_PASSWORD=second-value\n", True),
    ],
    "proxmox-instances-and-lookalikes": [
        ("PROXMOX_TOKEN_VALUE=default-token\n", True),
        ("PROXMOX_TOKEN_VALUE_02=token-two\n", True),
        ("PROXMOX_TOKEN_VALUE_2=one-digit-is-no-instance\n", False),
        ("PROXMOX_02_TOKEN_NAME=automation\n", False),
        ("MY_SECRET_KEY=not-a-known-secret\n", False),
        ("PROXMOX_PASSWORD_HINT=not-a-known-secret\n", False),
    ],
    "interpolation": [
        ("PROXMOX_HOST=pve.lab\n", False),
        ('SECRET_KEY="${PROXMOX_HOST}-suffix"\n', True),
    ],
    "utf-8": [("ESXI_PASSWORD=pässwörd-€-密码\n", True)],
}

# Every known secret at once, with the other kinds of line around them.
FULL: list[Chunk] = [
    ("# lab credentials\n", False),
    ("PROXMOX_HOST=pve.lab\n", False),
    ("PROXMOX_PASSWORD=pve-password\n", True),
    ("PROXMOX_TOKEN_VALUE='pve-token'\n", True),
    ('PROXMOX_TOKEN_VALUE_02="pve-token-02"\n', True),
    ("\n", False),
    ("ESXI_PASSWORD=esxi-password\n", True),
    ("export AZURE_CLIENT_SECRET=azure-secret\n", True),
    ("AWS_SECRET_ACCESS_KEY=aws/secret+key=\n", True),
    ("OPENAI_API_KEY=sk-openai\n", True),
    ("ANTHROPIC_API_KEY=sk-ant # inline\n", True),
    ("MAIL_API=mail-api-key\n", True),
    ("SECRET_KEY=django-secret\n", True),
    ("MAIL_HOST=mail.lab", False),
]


def text_of(chunks: list[Chunk]) -> bytes:
    return "".join(text for text, _ in chunks).encode("utf-8")


def scrubbed_pattern(chunks: list[Chunk]) -> re.Pattern[bytes]:
    """Every chunk kept byte for byte, each secret binding replaced by one comment line."""
    parts = []
    for text, secret in chunks:
        if secret:
            ending = "\r\n" if text.endswith("\r\n") else "\n" if text.endswith("\n") else ""
            parts.append(rb"[ \t]*#[^\r\n]*" + re.escape(ending.encode()))
        else:
            parts.append(re.escape(text.encode("utf-8")))
    return re.compile(b"".join(parts))


def expected_secrets(env_file: Path) -> dict[str, str]:
    """The known secrets python-dotenv reads from *env_file*, as `secrets exec` names them."""
    return {
        key.upper(): value
        for key, value in dotenv_values(env_file).items()
        if SECRET_VARIABLE.fullmatch(key.upper()) and value
    }


def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(home.iterdir())}


def rows(result, variable: str) -> list[str]:
    return [line for line in result.err_lines if f" {variable} " in line]


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
    assert "Stored 10, unchanged 0, conflicts 0" in first.err
    assert env_file.read_bytes() == text_of(FULL)
    assert not (work / ".env.bak").exists()
    before = snapshot(home)

    second = cli("secrets", "migrate")
    assert second.code == 0, str(second)
    assert "Stored 0, unchanged 10, conflicts 0" in second.err
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
    assert "Stored 1, unchanged 0, conflicts 1" in conflict.err
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
    assert "would do" in result.err
    assert "Dry run: nothing stored (10 to store, 0 conflicts)" in result.err
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


# -- scripts/migrate_secrets.py -----------------------------------------------------


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


# -- invoke secrets.* ---------------------------------------------------------------

TASK_OPTIONS = {
    "set": {"--name", "--value", "--from-file"},
    "get": {"--name"},
    "list": {"--json", "--long"},
    "delete": {"--name", "--yes"},
    "migrate": {"--env-file", "--dry-run", "--scrub", "--overwrite", "--confirm"},
    "doctor": {"--env-file", "--json"},
}


@pytest.mark.parametrize("task", list(TASK_OPTIONS))
def test_invoke_task_has_a_docstring_and_help_for_every_option(cli: Cli, task: str):
    result = cli.invoke("--help", f"secrets.{task}")
    assert result.code == 0, str(result)
    docstring = result.out.split("Docstring:\n", 1)[1].split("\n\n", 1)[0].strip()
    assert docstring
    assert docstring != "none"
    options = result.out.split("Options:\n", 1)[1]
    seen = set()
    for line in options.splitlines():
        if not line.lstrip().startswith("-"):
            continue
        spec, _, help_text = line.strip().partition("  ")
        assert help_text.strip(), f"no help for {spec!r}"
        seen.update(re.findall(r"--[a-z-]+", spec))
    assert seen == TASK_OPTIONS[task]


def test_invoke_list_json(cli: Cli):
    cli.set("listed", "value")
    result = cli.invoke("secrets.list", "--json")
    assert result.code == 0, str(result)
    assert json.loads(result.out) == {"backend": "file", "secrets": ["listed"]}


def test_invoke_migrate_with_env_file(cli: Cli, work: Path):
    env_file = work / "elsewhere.env"
    env_file.write_bytes(text_of(FULL))
    result = cli.invoke("secrets.migrate", "--env-file", str(env_file))
    assert result.code == 0, str(result)
    assert cli.stored_variables() == expected_secrets(env_file)
    assert env_file.read_bytes() == text_of(FULL)


def test_invoke_get_of_a_missing_secret_exits_1(cli: Cli):
    cli.set("present", "value")
    result = cli.invoke("secrets.get", "missing")
    assert result.code == 1
    assert result.out == ""
    assert "no secret named 'missing'" in one_error_line(result)
