"""Inputs that are missing or given wrongly: exit 3 listing every missing input, exit 2
for an unknown name or a bad answers file (never quoting a value), and a warning for a
secret given with --set."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.cli import main
from tests.playbook.support import PlaybookCli, events

MISSING = """\
name: missing inputs
inputs:
  - {name: host, type: host, prompt: "Proxmox host"}
  - {name: token, type: secret}
  - {name: port, type: port, default: 8006}
  - {name: node, default: "{{ inputs.host }}"}
steps:
  - id: store
    uses: secret.set
    with: {name: token, value: "{{ inputs.token }}"}
"""


def test_no_input_flag_lists_all_missing_inputs_and_exits_3(cli: PlaybookCli, home: Path):
    """--no-input alone (GLASSDOME_NO_INPUT unset): every missing input, exit 3, no step."""
    cli.write("playbook.yml", MISSING)
    result = cli.play("playbook.yml", unset=("GLASSDOME_NO_INPUT",))
    assert result.code == 3, str(result)
    assert events(result) == []
    assert "  host: missing (Proxmox host)\n" in result.err
    assert "  token: missing (token)\n" in result.err
    # node's default uses host, which has no value: listed too, the run does not crash.
    assert "  node: not resolved (" in result.err
    assert "port" not in result.err.split(":", 2)[2]  # port has a default
    assert not home.exists()


def test_without_a_terminal_missing_inputs_exit_3_without_asking(cli: PlaybookCli, home: Path):
    """No --no-input, no GLASSDOME_NO_INPUT, stdin not a terminal: the same list, exit 3."""
    cli.write("playbook.yml", MISSING)
    result = cli.play("playbook.yml", json=False, no_input=False, unset=("GLASSDOME_NO_INPUT",))
    assert result.code == 3, str(result)
    assert result.out == ""
    assert "host: missing" in result.err
    assert "token: missing" in result.err
    assert "PLAY" not in result.out + result.err
    assert not home.exists()


@pytest.fixture
def run(work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """The CLI in this process, from *work* (for usage errors: nothing runs)."""
    monkeypatch.chdir(work)
    (work / "playbook.yml").write_text(MISSING, encoding="utf-8")

    def call(*argv: str) -> tuple[int, str, str]:
        code = main(["play", "playbook.yml", "--no-input", "--json", *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


def test_unknown_set_name_is_a_usage_error(run, home: Path):
    code, out, err = run("--set", "hots=pve.lab", "--set", "host=pve.lab")
    assert code == 2
    assert out == ""
    assert "unknown input(s) hots; this playbook's inputs: host, node, port, token" in err
    assert not home.exists()


def test_unknown_answers_name_is_a_usage_error(run, work: Path):
    (work / "answers.yml").write_text("host: pve.lab\ntokn: a-secret-value-91\n", "utf-8")
    code, _, err = run("--answers", "answers.yml")
    assert code == 2
    assert "unknown input(s) tokn" in err
    assert "a-secret-value-91" not in err


def test_set_without_equals_is_a_usage_error_that_does_not_echo(run):
    code, _, err = run("--set", "some-secret-value-77")
    assert code == 2
    assert "--set takes NAME=VALUE" in err
    assert "some-secret-value-77" not in err


def test_answers_file_with_a_duplicate_key_fails_without_quoting_values(run, work: Path):
    (work / "answers.yml").write_text(
        "host: pve.lab\ntoken: first-secret-4a1\ntoken: second-secret-9b2\n", "utf-8"
    )
    code, out, err = run("--answers", "answers.yml")
    assert code == 2
    assert out == ""
    assert "answers.yml:3:1: duplicate key 'token' (first at line 2)" in err
    assert "first-secret-4a1" not in err
    assert "second-secret-9b2" not in err


def test_answers_file_that_is_not_a_mapping_is_a_usage_error(run, work: Path):
    (work / "answers.yml").write_text("- host\n- token\n", "utf-8")
    code, _, err = run("--answers", "answers.yml")
    assert code == 2
    assert "an answers file is a mapping of input names to values" in err


def test_missing_answers_file_is_exit_2(run):
    code, _, err = run("--answers", "nope.yml")
    assert code == 2
    assert "nope.yml: no such answers file" in err


def test_a_secret_input_given_with_set_warns_without_the_value(run):
    code, out, err = run("--set", "token=set-secret-value-553")
    assert code == 3  # host is missing: nothing runs
    assert "--set token=... puts the secret in your shell history and in `ps` output" in err
    assert "set-secret-value-553" not in err + out


def test_a_plain_input_given_with_set_does_not_warn(run):
    _, _, err = run("--set", "host=pve.lab")
    assert "shell history" not in err
