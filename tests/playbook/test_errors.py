"""Invalid playbooks: every problem is reported as file:line:column, and nothing runs.

Most cases call the real CLI entry point (`glassdome.cli.main`) in this process,
which is fast; a few run it, `glassdome playbook validate` and the invoke task as
real processes. Each case asserts the exact position string, the message, exit
code 2, an empty stdout (no JSON event: nothing started), no store and no .env.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from glassdome.cli import main
from tests.playbook.support import PlaybookCli

BUILTIN_TYPES = (
    "assert",
    "config.set",
    "http.check",
    "message",
    "net.tls_fingerprint",
    "secret.generate",
    "secret.require",
    "secret.set",
)


@dataclass(frozen=True)
class Case:
    """A broken playbook, the position of its (first) problem, and what the message says."""

    text: str
    where: str
    says: tuple[str, ...]
    never: tuple[str, ...] = field(default=())


CASES: dict[str, Case] = {
    "yaml syntax: bad indentation": Case(
        """\
name: broken
steps:
  - id: a
    uses: message
   with: {text: hi}
""",
        "playbook.yml:5:4:",
        ("YAML syntax: expected <block end>", "while parsing a block collection at line 3"),
    ),
    "yaml syntax: unclosed quote names where it began": Case(
        """\
name: broken
steps:
  - id: a
    uses: message
    with: {text: "hi}
""",
        "playbook.yml:6:1:",
        ("YAML syntax:", "while scanning a quoted scalar at line 5, column 18"),
    ),
    "yaml syntax: a tab": Case(
        "name: t\nsteps:\n\t- id: a\n",
        "playbook.yml:3:1:",
        ("YAML syntax: found character '\\t' that cannot start any token",),
    ),
    "duplicate key, without quoting either value": Case(
        """\
name: dup
vars:
  password: first-value-9d1
  password: second-value-7e2
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:4:3:",
        ("duplicate key 'password' (first at line 3)",),
        ("first-value-9d1", "second-value-7e2"),
    ),
    "unknown top-level key": Case(
        """\
name: t
hosts: all
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:2:1:",
        ("unknown key 'hosts'; allowed: name, description, vars, inputs, steps",),
    ),
    "missing top-level key": Case(
        "steps:\n  - {id: a, uses: message, with: {text: hi}}\n",
        "playbook.yml:1:1:",
        ("missing required key 'name'",),
    ),
    "not a mapping": Case(
        "- just\n- a list\n",
        "playbook.yml:1:1:",
        ("a playbook is a mapping with name and steps",),
    ),
    "unknown key inside an input": Case(
        """\
name: t
inputs:
  - name: host
    type: host
    secret: true
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:5:5:",
        (
            "inputs[0]: unknown key 'secret'; allowed: "
            "name, prompt, type, default, choices, validate, help, when",
        ),
    ),
    "unknown key inside an input's validate": Case(
        """\
name: t
inputs:
  - name: host
    validate: {regexp: "[a-z]+"}
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:4:16:",
        ("inputs[0].validate: unknown key 'regexp'; allowed: regex, min, max",),
    ),
    "unknown key inside a step": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: hi}
    retries: 3
""",
        "playbook.yml:6:5:",
        ("steps[0]: unknown key 'retries'; allowed: id, uses, with, when, tags, ignore_errors",),
    ),
    "wrong type: a string where a list goes": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    tags: setup
    with: {text: hi}
""",
        "playbook.yml:5:11:",
        ("steps[0].tags: Input should be a valid list",),
    ),
    "wrong type: not a boolean": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: hi}
    ignore_errors: sometimes
""",
        "playbook.yml:6:20:",
        ("steps[0].ignore_errors: Input should be a valid boolean",),
    ),
    "unknown input type lists the allowed ones": Case(
        """\
name: t
inputs:
  - name: count
    type: integer
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:4:11:",
        (
            "inputs[0].type: Input should be 'str', 'int', 'bool', 'choice', 'secret', "
            "'host', 'url', 'port' or 'path'",
        ),
    ),
    "invalid step id": Case(
        "name: t\nsteps:\n  - {id: Bad-Id, uses: message, with: {text: hi}}\n",
        "playbook.yml:3:10:",
        ("steps[0].id: String should match pattern '^[a-z_][a-z0-9_]*$'",),
    ),
    "choice without choices": Case(
        """\
name: t
inputs:
  - name: colour
    type: choice
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:3:5:",
        ("inputs[0]: Value error, an input of type 'choice' needs 'choices'",),
    ),
    "invalid regex": Case(
        """\
name: t
inputs:
  - {name: code, validate: {regex: "[a-z"}}
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:3:36:",
        ("inputs[0].validate.regex: Value error, not a valid regular expression",),
    ),
    "duplicate input name": Case(
        """\
name: t
inputs:
  - {name: host}
  - {name: port}
  - {name: host}
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:5:12:",
        ("duplicate input name 'host' (first at inputs[0])",),
    ),
    "duplicate step id": Case(
        """\
name: t
steps:
  - id: save
    uses: message
    with: {text: one}
  - id: save
    uses: message
    with: {text: two}
""",
        "playbook.yml:6:9:",
        ("duplicate step id 'save' (first at steps[0])",),
    ),
    "unknown step type lists the known ones": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: hi}
  - id: b
    uses: secret.sett
    with: {name: x, value: y}
""",
        "playbook.yml:7:11:",
        ("steps[1].uses: unknown step type 'secret.sett'; known: ", *BUILTIN_TYPES),
    ),
    "with: an argument the step type does not take": Case(
        """\
name: t
steps:
  - id: store
    uses: secret.set
    with:
      name: api_token
      valeu: some-value-3f1
""",
        "playbook.yml:7:7:",
        ("steps[0].with: unknown key 'valeu'; allowed: name, value",),
        ("some-value-3f1",),
    ),
    "with: a required argument is missing": Case(
        """\
name: t
steps:
  - id: need
    uses: secret.require
    with: {}
""",
        "playbook.yml:5:11:",
        ("steps[0].with: missing required key 'name'",),
    ),
    "with: an argument of the wrong type": Case(
        """\
name: t
steps:
  - id: key
    uses: secret.generate
    with: {name: session_key, length: many}
""",
        "playbook.yml:5:39:",
        ("steps[0].with.length: Input should be a valid integer",),
    ),
    "with: outside the step type's bounds": Case(
        """\
name: t
steps:
  - id: key
    uses: secret.generate
    with: {name: session_key, length: 8}
""",
        "playbook.yml:5:39:",
        ("steps[0].with.length: Input should be greater than or equal to 16",),
    ),
    "template: undefined input": Case(
        """\
name: t
inputs:
  - {name: host, type: host}
steps:
  - id: a
    uses: message
    with: {text: "{{ inputs.hots }}"}
""",
        "playbook.yml:7:18:",
        ("undefined input 'hots' (inputs declared before this point: host)",),
    ),
    "template: an input declared later": Case(
        """\
name: t
inputs:
  - {name: url, default: "https://{{ inputs.host }}"}
  - {name: host}
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:3:26:",
        ("undefined input 'host' (inputs declared before this point: none)",),
    ),
    "template: undefined var": Case(
        """\
name: t
vars: {domain: lab.example}
steps:
  - id: a
    uses: message
    with: {text: "{{ vars.domian }}"}
""",
        "playbook.yml:6:18:",
        ("undefined var 'domian' (vars: domain)",),
    ),
    "template: a step that does not run before": Case(
        """\
name: t
steps:
  - id: first
    uses: message
    with: {text: "{{ steps.later.sha256 }}"}
  - id: later
    uses: net.tls_fingerprint
    with: {host: 127.0.0.1}
""",
        "playbook.yml:5:18:",
        ("step 'later' does not run before this point (earlier steps: none)",),
    ),
    "template: an output the step does not have": Case(
        """\
name: t
steps:
  - id: fp
    uses: net.tls_fingerprint
    with: {host: 127.0.0.1}
  - id: show
    uses: message
    with: {text: "{{ steps.fp.sha1 }}"}
""",
        "playbook.yml:8:18:",
        ("step 'fp' (net.tls_fingerprint) has no output 'sha1'; outputs: sha256",),
    ),
    "template: an unknown setting": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: "{{ settings.proxmox_hots }}"}
""",
        "playbook.yml:5:18:",
        ("unknown or secret setting 'proxmox_hots'",),
    ),
    "template: a secret setting is refused": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: "{{ settings.proxmox_password }}"}
""",
        "playbook.yml:5:18:",
        ("unknown or secret setting 'proxmox_password'; use secret('name') for secrets",),
    ),
    "template: an unknown root name": Case(
        """\
name: t
inputs:
  - {name: host}
steps:
  - id: a
    uses: message
    with: {text: "{{ host }}"}
""",
        "playbook.yml:7:18:",
        ("undefined name 'host'; templates may use inputs, vars, steps, settings, secret()",),
    ),
    "template: undefined name in a step's when": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    when: "inputs.enabled"
    with: {text: hi}
""",
        "playbook.yml:5:11:",
        ("undefined input 'enabled'",),
    ),
    "template: undefined name in an assert's that": Case(
        """\
name: t
vars: {count: 3}
steps:
  - id: a
    uses: assert
    with: {that: "vars.cuont > 2"}
""",
        "playbook.yml:6:18:",
        ("undefined var 'cuont' (vars: count)",),
    ),
    "template: syntax error": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: "{{ vars.x }"}
""",
        "playbook.yml:5:18:",
        ("template syntax: unexpected '}'",),
    ),
    "template: syntax error in an expression": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    when: "1 =="
    with: {text: hi}
""",
        "playbook.yml:5:11:",
        ("template syntax: unexpected 'end of template'",),
    ),
    "template: unknown filter": Case(
        """\
name: t
vars: {name: lab}
steps:
  - id: a
    uses: message
    with: {text: "{{ vars.name | upper_case }}"}
""",
        "playbook.yml:6:18:",
        ("template syntax: No filter named 'upper_case'",),
    ),
}


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
    assert "playbook.yml: valid (1 steps, 1 inputs)" in result.err
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
    assert "good.yml: valid (1 steps, 0 inputs)" in good.err
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
