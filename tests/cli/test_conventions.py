"""What every command does the same way: reports on stdout, `--json`, progress, NO_COLOR.

`secrets migrate` is the example that exercises all of them; `tests/cli/test_copy.py`
checks `secrets copy` the same way against a real second backend.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from glassdome.commands.migrate import migrate
from glassdome.core.secrets import SecretsManager
from glassdome.ui.console import Terminal
from tests.cli.env_cases import FULL, expected_secrets, text_of
from tests.cli.runner import Cli, finish
from tests.conftest import PASSWORD
from tests.leaks import forms

COUNTS = ("stored", "overwritten", "unchanged", "conflict", "skipped", "missing", "failed")
# A terminal that can move the cursor (Rich draws no bar on TERM=dumb) and show colour.
CURSOR_TERMINAL = "xterm-256color"
# An SGR sequence: ESC [ parameters m.
SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def colour_codes(text: str) -> list[str]:
    """The SGR sequences in *text* that set a colour (bold or dim are not colours)."""
    found = []
    for match in SGR.finditer(text):
        params = [int(p) for p in re.split("[;:]", match.group(1)) if p.isdigit()]
        if any(30 <= p <= 38 or 40 <= p <= 48 or 90 <= p <= 97 or 100 <= p <= 107 for p in params):
            found.append(match.group())
    return found


def no_values(text: str, values: dict[str, str]) -> None:
    for value in values.values():
        for form in forms(value).values():
            assert form not in text


def document(out: str) -> dict[str, Any]:
    """stdout as exactly one JSON document."""
    assert out.count("\n") == 1, out
    found: dict[str, Any] = json.loads(out)
    return found


def test_migrate_json_is_one_document_with_a_status_per_name_and_no_value(cli: Cli, work: Path):
    env_file = work / ".env"
    env_file.write_bytes(text_of(FULL) + b"\nPROXMOX_TOKEN_VALUE_03=\n")
    secrets = expected_secrets(env_file)
    cli.set("esxi_password", "stored differently")

    result = cli("secrets", "migrate", "--json")
    assert result.code == 1, str(result)  # the conflict
    assert result.err == ""
    no_values(result.out, secrets)
    found = document(result.out)
    keys = ["command", "dry_run", "env_file", "backend", "scrubbed", "backup", "secrets", "counts"]
    assert list(found) == keys
    assert found["command"] == "secrets migrate"
    assert found["dry_run"] is False
    assert found["backend"] == "file"
    by_name = {entry["name"]: entry for entry in found["secrets"]}
    assert by_name["esxi_password"]["status"] == "conflict"
    assert by_name["esxi_password"]["variable"] == "ESXI_PASSWORD"
    assert "--overwrite" in by_name["esxi_password"]["detail"]
    assert by_name["proxmox_token_value_03"] == {
        "name": "proxmox_token_value_03",
        "status": "skipped",
        "variable": "PROXMOX_TOKEN_VALUE_03",
        "detail": "empty in .env",
    }
    assert by_name["proxmox_password"] == {
        "name": "proxmox_password",
        "status": "stored",
        "variable": "PROXMOX_PASSWORD",
    }
    assert tuple(found["counts"]) == COUNTS
    assert found["counts"]["stored"] == len(secrets) - 1
    assert found["counts"]["conflict"] == 1
    assert found["counts"]["skipped"] == 1

    again = document(cli("secrets", "migrate", "--json", "--overwrite", "--dry-run").out)
    assert again["dry_run"] is True
    assert again["counts"]["overwritten"] == 1
    assert again["counts"]["unchanged"] == len(secrets) - 1
    assert cli.get("esxi_password") == "stored differently"  # a dry run


def test_migrate_json_names_what_scrub_removed_and_the_backup(cli: Cli, work: Path):
    env_file = work / ".env"
    env_file.write_bytes(text_of(FULL))
    result = cli("secrets", "migrate", "--json", "--scrub")
    assert result.code == 0, str(result)
    found = document(result.out)
    assert sorted(found["scrubbed"]) == sorted(expected_secrets(work / ".env.bak"))
    assert found["backup"] == ".env.bak"


def test_migrate_json_with_nothing_to_migrate_is_still_a_document(cli: Cli, work: Path):
    (work / ".env").write_text("PROXMOX_HOST=pve.lab\n", encoding="utf-8")
    result = cli("secrets", "migrate", "--json")
    assert result.code == 0, str(result)
    found = document(result.out)
    assert found["secrets"] == []
    assert set(found["counts"].values()) == {0}


def test_a_progress_bar_follows_the_password_prompt_on_a_terminal(cli: Cli, work: Path):
    """The first read opens the store (and asks); the bar is drawn only after the answer."""
    cli.set("unrelated", "creates the store first")
    (work / ".env").write_bytes(text_of(FULL))
    child = cli.spawn_glassdome(
        "secrets", "migrate", unset=("GLASSDOME_MASTER_PASSWORD",), TERM=CURSOR_TERMINAL
    )
    child.expect("Master password for")
    assert child.waitnoecho(timeout=10), "echo was never turned off"
    child.sendline(PASSWORD)
    code, transcript = finish(child)
    assert code == 0, transcript
    assert transcript.index("Master password for") < transcript.index("Comparing with the store")
    assert "Stored 10, unchanged 0, conflicts 0" in transcript
    assert PASSWORD not in transcript


def test_no_progress_bar_with_json_even_on_a_terminal_nor_on_a_pipe(cli: Cli, work: Path):
    (work / ".env").write_bytes(text_of(FULL))
    child = cli.spawn_glassdome("secrets", "migrate", "--json", "--scrub", TERM=CURSOR_TERMINAL)
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "Comparing" not in transcript
    assert "Reading back" not in transcript
    assert json.loads(transcript)["counts"]["stored"] == 10

    (work / ".env").write_bytes(text_of(FULL))
    piped = cli("secrets", "migrate", "--scrub", "--overwrite")
    assert piped.code == 0, str(piped)
    assert piped.err == ""


@pytest.mark.parametrize(
    "argv",
    [
        ("secrets", "migrate", "--dry-run"),
        ("secrets", "doctor"),
        ("secrets", "get", "proxmox_password"),  # a warning first, on a terminal
        ("play", "ok.yml"),  # the steps and the recap
    ],
    ids=lambda argv: "-".join(argv[:2]).replace(".yml", ""),
)
def test_no_colour_with_no_color_set(cli: Cli, work: Path, argv: tuple[str, ...]):
    """The same run on a colour terminal has colour without NO_COLOR and none with it."""
    cli.set("proxmox_password", "pve-password")
    (work / ".env").write_bytes(text_of(FULL))
    (work / "ok.yml").write_text(
        "name: ok\nsteps:\n  - {id: a, uses: message, with: {text: hi}}\n", encoding="utf-8"
    )

    def transcript(**env: str) -> str:
        unset = () if env else ("NO_COLOR",)
        child = cli.spawn_glassdome(*argv, unset=unset, TERM=CURSOR_TERMINAL, **env)
        _, text = finish(child)
        assert "Traceback" not in text, text
        return text

    assert colour_codes(transcript()), "the check needs a run that shows colour"
    plain = transcript(NO_COLOR="1")
    assert colour_codes(plain) == [], plain


def test_with_json_the_plan_to_confirm_is_shown_on_stderr(
    work: Path, home: Path, password_env: str
) -> None:
    """`--confirm --json`: the person sees the plan and the question; stdout is only JSON."""
    env_file = work / ".env"
    env_file.write_bytes(text_of(FULL))
    out, err = io.StringIO(), io.StringIO()
    term = Terminal(stdin=io.StringIO("y\n"), stdout=out, stderr=err, env={})
    manager = SecretsManager(home=home, backend="file")
    code = migrate(term, env_file=env_file, confirm=True, as_json=True, manager=manager)
    assert code == 0, err.getvalue()
    assert "(will do)" in err.getvalue()
    assert "Store 10 secrets?" in err.getvalue()
    assert document(out.getvalue())["counts"]["stored"] == 10
    no_values(out.getvalue() + err.getvalue(), expected_secrets(env_file))


def test_a_terminal_reads_no_color_from_its_own_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    streams = {"stdin": io.StringIO(), "stdout": io.StringIO(), "stderr": io.StringIO()}
    assert Terminal(**streams, env={"NO_COLOR": "1"}).out.no_color is True
    assert Terminal(**streams, env={"NO_COLOR": "1"}).err.no_color is True
    assert Terminal(**streams, env={"NO_COLOR": ""}).out.no_color is False  # empty: unset
