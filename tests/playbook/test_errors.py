"""Invalid playbooks: every problem is reported as file:line:column, and nothing runs.

Most cases call the real CLI entry point (`glassdome.cli.main`) in this process,
which is fast; a few run it, `glassdome playbook validate` and the invoke task as
real processes. Each case asserts the exact position string, the message, exit
code 2, an empty stdout (no JSON event: nothing started), no store and no .env.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glassdome.cli import main
from tests.playbook.invalid_cases import SHAPE, Case
from tests.playbook.invalid_references import REFERENCES
from tests.playbook.support import PlaybookCli

CASES: dict[str, Case] = {**SHAPE, **REFERENCES}


@pytest.fixture
def run(work: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run the CLI in this process from *work*; return (exit code, stdout, stderr)."""
    monkeypatch.chdir(work)

    def call(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_invalid_playbook_is_reported_at_its_position_and_runs_nothing(
    case: Case, run, work: Path, home: Path
):
    (work / "playbook.yml").write_text(case.text, encoding="utf-8")
    code, out, err = run("play", str(work / "playbook.yml"), "--json", "--no-input")
    assert code == 2, err
    assert out == ""  # not even the `start` event
    assert err.startswith("glassdome: error: ")
    assert f"{work}/{case.where} " in err, err
    for text in case.says:
        assert text in err, err
    for text in case.never:
        assert text not in err, err
    assert "Traceback" not in err
    assert not home.exists()
    assert not (work / ".env").exists()


def test_every_problem_is_listed_at_once(run, work: Path):
    """Problems after the structural checks are all reported together, each with its place."""
    (work / "playbook.yml").write_text(
        """\
name: several problems
inputs:
  - {name: host, type: host}
steps:
  - id: one
    uses: message
    with: {text: "{{ inputs.hots }}"}
  - id: two
    uses: secret.generate
    with: {name: x, length: many}
  - id: three
    uses: nope
  - id: four
    uses: message
    when: "steps.three.x"
    with: {text: "{{ settings.nothing }}"}
""",
        encoding="utf-8",
    )
    code, _, err = run("playbook", "validate", str(work / "playbook.yml"))
    assert code == 2
    positions = [line.split("playbook.yml:", 1)[1].split(": ", 1)[0] for line in err.splitlines()]
    assert positions == ["7:18", "10:29", "12:11", "15:11", "16:18"]


def test_a_playbook_with_inputs_is_rejected_before_any_input_is_asked_for(run, work: Path):
    """Exit 2 (invalid), not 3 (inputs missing): validation comes first."""
    (work / "playbook.yml").write_text(
        """\
name: t
inputs:
  - {name: vault_passphrase, type: secret}
  - {name: site_host, type: host}
steps:
  - id: a
    uses: nothing.here
""",
        encoding="utf-8",
    )
    code, _, err = run("play", str(work / "playbook.yml"), "--no-input")
    assert code == 2
    assert "inputs missing" not in err
    assert "vault_passphrase" not in err
    assert "site_host" not in err
    assert "playbook.yml:7:11:" in err


def test_unknown_start_at_is_a_usage_error(run, work: Path, home: Path):
    (work / "playbook.yml").write_text(
        "name: t\nsteps:\n  - {id: a, uses: secret.generate, with: {name: k}}\n",
        encoding="utf-8",
    )
    code, out, err = run("play", str(work / "playbook.yml"), "--start-at", "b", "--json")
    assert code == 2
    assert out == ""
    assert "--start-at 'b': no such step; steps: a" in err
    assert not home.exists()


def test_a_missing_playbook_file_is_exit_2(run, work: Path):
    code, _, err = run("play", str(work / "nope.yml"), "--no-input")
    assert code == 2
    assert "nope.yml: no such playbook" in err


def test_validate_command_accepts_a_valid_playbook_and_runs_nothing(
    cli: PlaybookCli, work: Path, home: Path
):
    """`glassdome playbook validate` as a process: exit 0, the counts, nothing stored."""
    cli.write(
        "playbook.yml",
        "name: ok\ninputs:\n  - {name: token, type: secret}\nsteps:\n"
        "  - {id: a, uses: secret.set, with: {name: t, value: '{{ inputs.token }}'}}\n",
    )
    result = cli("playbook", "validate", "playbook.yml")
    assert result.code == 0, str(result)
    assert "playbook.yml: valid (1 steps, 1 inputs)" in result.out
    assert not home.exists()


def test_validate_command_lists_the_problems_of_an_invalid_playbook(cli: PlaybookCli):
    cli.write("playbook.yml", "name: t\nsteps:\n  - id: a\n    uses: nope\n")
    result = cli("playbook", "validate", "playbook.yml")
    assert result.code == 2, str(result)
    assert result.err.startswith("playbook.yml:4:11: steps[0].uses: unknown step type 'nope'")


def test_play_as_a_process_exits_2_on_an_invalid_playbook(cli: PlaybookCli, home: Path):
    cli.write("playbook.yml", "name: t\nbogus: 1\nsteps: []\n")
    result = cli.play("playbook.yml")
    assert result.code == 2, str(result)
    assert result.out == ""
    assert "playbook.yml:2:1: playbook: unknown key 'bogus'" in result.err
    assert not home.exists()


def test_invoke_validate_task_valid_and_invalid(cli: PlaybookCli):
    """`invoke playbook.validate` exits 0 on a valid playbook and 2 with the positions."""
    cli.write("good.yml", "name: ok\nsteps:\n  - {id: a, uses: message, with: {text: hi}}\n")
    cli.write("bad.yml", "name: t\nsteps:\n  - {id: a, uses: message, with: {txt: hi}}\n")
    good = cli.invoke("playbook.validate", str(cli.cwd / "good.yml"))
    assert good.code == 0, str(good)
    assert "good.yml: valid (1 steps, 0 inputs)" in good.out
    bad = cli.invoke("playbook.validate", str(cli.cwd / "bad.yml"))
    assert bad.code == 2, str(bad)
    assert "bad.yml:3:34: steps[0].with: missing required key 'text'" in bad.err
    assert "bad.yml:3:35: steps[0].with: unknown key 'txt'; allowed: text" in bad.err


def test_schema_is_json_schema_with_the_top_level_properties(run):
    code, out, _ = run("playbook", "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["properties"]) == {"name", "description", "vars", "inputs", "steps"}
    assert set(schema["required"]) == {"name", "steps"}
    step = schema["$defs"]["StepSpec"]["properties"]
    assert {"id", "uses", "with", "when", "tags", "ignore_errors"} <= set(step)
    given = schema["$defs"]["InputSpec"]["properties"]
    assert {"name", "prompt", "type", "default", "choices", "validate", "help", "when"} <= set(
        given
    )


def test_invoke_list_task_shows_descriptions_and_where_an_invalid_playbook_breaks(
    cli: PlaybookCli,
):
    """Descriptions and problems are shown as written (brackets are text, not markup)."""
    folder = cli.cwd / "books"
    folder.mkdir()
    (folder / "good.yml").write_text(
        "name: good\ndescription: Sets up the [lab] network.\nsteps: []\n", encoding="utf-8"
    )
    (folder / "bad.yml").write_text(
        "name: bad\nsteps:\n  - {id: Bad-Id, uses: message, with: {text: hi}}\n", "utf-8"
    )
    result = cli.invoke("playbook.list", "--folder", "books")
    assert result.code == 0, str(result)
    assert "│ books/good.yml │ Sets up the [lab] network." in result.out
    assert (
        "│ books/bad.yml  │ invalid: books/bad.yml:3:10: steps[0].id: "
        "String should match pattern '^[a-z_][a-z0-9_]*$'"
    ) in result.out
