"""Inputs: where values come from, how they are converted and checked, and what happens
when they are missing. The conversions and the prompt are also tested as units, the
prompt with an injected console and input stream (exact transcripts)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from glassdome.cli import main
from glassdome.playbook.inputs import convert
from glassdome.playbook.model import InputSpec
from glassdome.ui.prompts import ValidatedPrompt
from tests.playbook.support import PlaybookCli, events, step_messages

# --- where values come from -------------------------------------------------------------

PRECEDENCE = """\
name: precedence
inputs:
  - {name: set_env, default: from-default}
  - {name: set_answers, default: from-default}
  - {name: set_default, default: from-default}
  - {name: env_answers, default: from-default}
  - {name: env_default, default: from-default}
  - {name: answers_default, default: from-default}
  - {name: all_four, default: from-default}
  - {name: default_only, default: from-default}
steps:
  - id: show
    uses: message
    with:
      text: >-
        set_env={{ inputs.set_env }}
        set_answers={{ inputs.set_answers }}
        set_default={{ inputs.set_default }}
        env_answers={{ inputs.env_answers }}
        env_default={{ inputs.env_default }}
        answers_default={{ inputs.answers_default }}
        all_four={{ inputs.all_four }}
        default_only={{ inputs.default_only }}
"""


def test_precedence_is_set_then_environment_then_answers_then_default(cli: PlaybookCli):
    """For every pair of sources the higher wins: --set > GLASSDOME_INPUT_* > answers > default."""
    cli.write("playbook.yml", PRECEDENCE)
    cli.write(
        "answers.yml",
        "set_answers: from-answers\nenv_answers: from-answers\n"
        "answers_default: from-answers\nall_four: from-answers\n",
    )
    result = cli.play(
        "playbook.yml",
        "--answers",
        "answers.yml",
        "--set",
        "set_env=from-set",
        "--set",
        "set_answers=from-set",
        "--set",
        "set_default=from-set",
        "--set",
        "all_four=from-set",
        GLASSDOME_INPUT_SET_ENV="from-env",
        GLASSDOME_INPUT_ENV_ANSWERS="from-env",
        GLASSDOME_INPUT_ENV_DEFAULT="from-env",
        GLASSDOME_INPUT_ALL_FOUR="from-env",
    )
    assert result.code == 0, str(result)
    assert step_messages(result)["show"].split() == [
        "set_env=from-set",
        "set_answers=from-set",
        "set_default=from-set",
        "env_answers=from-env",
        "env_default=from-env",
        "answers_default=from-answers",
        "all_four=from-set",
        "default_only=from-default",
    ]


EVERY_TYPE = """\
name: every input type
inputs:
  - {name: count, type: int, validate: {min: 2, max: 5}}
  - {name: enabled, type: bool}
  - {name: colour, type: choice, choices: [red, green]}
  - {name: host, type: host}
  - {name: url, type: url}
  - {name: port, type: port}
  - {name: folder, type: path}
  - {name: code, validate: {regex: "[a-z]{3}-[0-9]{2}"}}
  - {name: label, validate: {min: 3, max: 8}}
  - {name: token, type: secret}
steps:
  - id: typed
    uses: assert
    with:
      that: >-
        inputs.count + 1 == 4 and inputs.enabled is sameas false and inputs.port == 8006
      message: values were not converted
  - id: show
    uses: message
    with:
      text: >-
        {{ inputs.colour }} {{ inputs.host }} {{ inputs.url }} {{ inputs.folder }}
        {{ inputs.code }} {{ inputs.label }}
  - id: never
    uses: config.set
    with: {values: {NEVER: "{{ inputs.count }}"}}
    when: "false"
"""


def test_valid_values_of_every_type_are_converted(cli: PlaybookCli, home: Path):
    cli.write("playbook.yml", EVERY_TYPE)
    cli.write(
        "answers.yml",
        "count: 3\nenabled: no\ncolour: green\nhost: pve.lab.example\n"
        "url: https://pve.lab.example:8006/api2/json\nport: '8006'\nfolder: ~/lab\n",
    )
    result = cli.play(
        "playbook.yml",
        "--answers",
        "answers.yml",
        "--set",
        "code=abc-12",
        "--set",
        "label=lab-1",
        GLASSDOME_INPUT_TOKEN="a-token-value",
        HOME=str(cli.cwd),
    )
    assert result.code == 0, str(result)
    assert step_messages(result)["show"] == (
        f"green pve.lab.example https://pve.lab.example:8006/api2/json {cli.cwd}/lab abc-12 lab-1"
    )


def test_every_missing_or_invalid_input_is_listed_at_once_and_nothing_runs(
    cli: PlaybookCli, home: Path
):
    """Without prompts: one exit 3 listing each problem, its reason and its source."""
    cli.write("playbook.yml", EVERY_TYPE)
    cli.write("answers.yml", "count: 9\nenabled: maybe\ncolour: blue\n")
    result = cli.play(
        "playbook.yml",
        "--answers",
        "answers.yml",
        "--set",
        "host=https://pve.lab:8006",
        "--set",
        "url=ftp://files.lab",
        "--set",
        "port=70000",
        "--set",
        "code=ABC-12",
        GLASSDOME_INPUT_LABEL="ab",
        GLASSDOME_INPUT_FOLDER="",
    )
    assert result.code == 3, str(result)
    assert result.out == ""  # no event: nothing started
    listed = [line.strip() for line in result.err.splitlines()[1:]]
    assert listed == [
        "count: must be at most 5 (from the answers file)",
        "enabled: must be yes or no (true/false) (from the answers file)",
        "colour: must be one of: red, green (from the answers file)",
        "host: must be a host name or IP address (no scheme or port) (from --set)",
        "url: must be an http:// or https:// URL with a host (from --set)",
        "port: must be a port number from 1 to 65535 (from --set)",
        "folder: a value is required (from GLASSDOME_INPUT_FOLDER)",
        "code: must match [a-z]{3}-[0-9]{2} (from --set)",
        "label: must be at least 3 characters (from GLASSDOME_INPUT_LABEL)",
        "token: missing (token)",
    ]
    assert result.err.splitlines()[0] == (
        "glassdome: error: inputs missing or invalid (give them with --set NAME=VALUE, "
        "GLASSDOME_INPUT_NAME or --answers FILE):"
    )
    for value in ("pve.lab:8006", "files.lab", "70000", "ABC-12", "maybe", "blue"):
        assert value not in result.err
    assert not home.exists()
    assert not (cli.cwd / ".env").exists()


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


def test_a_given_value_makes_a_failing_default_irrelevant(cli: PlaybookCli):
    """A default is rendered only when used: secret('absent') in it does not fail a --set run."""
    cli.write(
        "playbook.yml",
        """\
name: default not needed
inputs:
  - {name: user, default: "{{ secret('absent_user') }}"}
steps:
  - {id: show, uses: message, with: {text: "user={{ inputs.user }}"}}
""",
    )
    result = cli.play("playbook.yml", "--set", "user=root@pam")
    assert result.code == 0, str(result)
    assert step_messages(result)["show"] == "user=root@pam"


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


ASK = """\
name: pick
steps:
  - id: size
    uses: ask
    with: {input: size, prompt: VM size, choices: [small, large], default: "{{ '' }}"}
  - id: show
    uses: message
    with: {text: "size={{ steps.size.value }}"}
"""


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"GLASSDOME_INPUT_SIZE": "huge"},
            "size: must be one of: small, large (from GLASSDOME_INPUT_SIZE)",
        ),
        (
            {},
            "size: no answer and no terminal to ask on; give it with --set size=VALUE "
            "(one of: small, large)",
        ),
    ],
)
def test_without_a_terminal_an_ask_step_without_a_valid_answer_fails_saying_why(
    cli: PlaybookCli, given: dict[str, str], message: str
):
    """As for an input: an invalid given answer is refused with its source, a missing one
    says how to give it; the step fails (exit 1), the steps after it do not run."""
    cli.write("playbook.yml", ASK)
    result = cli.play("playbook.yml", **given)
    assert result.code == 1, str(result)
    assert step_messages(result) == {"size": message}
    assert "huge" not in result.out + result.err


def test_without_a_terminal_an_ask_step_takes_a_given_answer_or_its_default(cli: PlaybookCli):
    cli.write("playbook.yml", ASK.replace("{{ '' }}", "small"))
    assert step_messages(cli.play("playbook.yml"))["show"] == "size=small"
    given = cli.play("playbook.yml", "--set", "size=large")
    assert step_messages(given)["show"] == "size=large"


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


# --- conversion and validation (units) --------------------------------------------------


def spec(kind: str = "str", **extra: Any) -> InputSpec:
    return InputSpec.model_validate({"name": "x", "type": kind, **extra})


@pytest.mark.parametrize(
    ("kind", "extra", "raw", "value"),
    [
        ("str", {}, "plain text", "plain text"),
        ("str", {}, "", ""),
        ("str", {}, 42, "42"),
        ("int", {}, "42", 42),
        ("int", {}, " -7 ", -7),
        ("int", {}, 5, 5),
        ("bool", {}, "yes", True),
        ("bool", {}, "Y", True),
        ("bool", {}, "on", True),
        ("bool", {}, "1", True),
        ("bool", {}, "no", False),
        ("bool", {}, "off", False),
        ("bool", {}, "FALSE", False),
        ("bool", {}, False, False),
        ("choice", {"choices": ["red", "green"]}, "green", "green"),
        ("secret", {}, "s3cret-value", "s3cret-value"),
        ("host", {}, "pve.lab.example", "pve.lab.example"),
        ("host", {}, "localhost", "localhost"),
        ("host", {}, "10.0.0.5", "10.0.0.5"),
        ("host", {}, "fe80::1", "fe80::1"),
        ("url", {}, "https://pve.lab:8006/api2/json", "https://pve.lab:8006/api2/json"),
        ("url", {}, "http://10.0.0.5", "http://10.0.0.5"),
        ("port", {}, "8006", 8006),
        ("port", {}, 1, 1),
        ("port", {}, "65535", 65535),
        ("path", {}, "/etc/glassdome", "/etc/glassdome"),
        ("str", {"validate": {"regex": "[a-z]+-[0-9]+"}}, "lab-1", "lab-1"),
        ("str", {"validate": {"min": 3, "max": 5}}, "abcde", "abcde"),
        ("int", {"validate": {"min": 1, "max": 10}}, "10", 10),
        ("port", {"validate": {"min": 1024}}, "8443", 8443),
    ],
)
def test_convert_accepts_and_converts(kind: str, extra: dict[str, Any], raw: Any, value: Any):
    assert convert(spec(kind, **extra), raw) == value


def test_convert_path_expands_the_home_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert convert(spec("path"), "~/lab/keys") == f"{tmp_path}/lab/keys"


@pytest.mark.parametrize(
    ("kind", "extra", "raw", "reason"),
    [
        ("int", {}, "forty", "must be a whole number"),
        ("int", {}, "4.5", "must be a whole number"),
        ("int", {}, True, "must be a whole number"),
        ("int", {}, "", "a value is required"),
        ("int", {}, None, "a value is required"),
        ("bool", {}, "maybe", "must be yes or no (true/false)"),
        ("choice", {"choices": ["red", "green"]}, "blue", "must be one of: red, green"),
        ("secret", {}, "", "a value is required"),
        ("host", {}, "https://pve.lab", "must be a host name or IP address (no scheme or port)"),
        ("host", {}, "pve.lab:8006", "must be a host name or IP address (no scheme or port)"),
        ("host", {}, "bad_name.lab", "must be a host name or IP address (no scheme or port)"),
        ("host", {}, "-dash.lab", "must be a host name or IP address (no scheme or port)"),
        ("url", {}, "ftp://files.lab", "must be an http:// or https:// URL with a host"),
        ("url", {}, "https:///no-host", "must be an http:// or https:// URL with a host"),
        ("url", {}, "pve.lab", "must be an http:// or https:// URL with a host"),
        ("port", {}, "0", "must be a port number from 1 to 65535"),
        ("port", {}, "65536", "must be a port number from 1 to 65535"),
        ("port", {}, "https", "must be a whole number"),
        ("path", {}, "", "a value is required"),
        ("str", {}, ["a", "list"], "must be text"),
        ("str", {"validate": {"regex": "[a-z]+"}}, "ABC", "must match [a-z]+"),
        ("str", {"validate": {"regex": "[a-z]+"}}, "abc1", "must match [a-z]+"),
        ("str", {"validate": {"min": 3}}, "ab", "must be at least 3 characters"),
        ("str", {"validate": {"max": 3}}, "abcd", "must be at most 3 characters"),
        ("int", {"validate": {"min": 2}}, "1", "must be at least 2"),
        ("int", {"validate": {"max": 5}}, "6", "must be at most 5"),
        ("port", {"validate": {"min": 1024}}, "80", "must be at least 1024"),
        ("secret", {"validate": {"min": 12}}, "short-pass", "must be at least 12 characters"),
    ],
)
def test_convert_refuses_with_the_reason_and_never_the_value(
    kind: str, extra: dict[str, Any], raw: Any, reason: str
):
    with pytest.raises(ValueError) as caught:
        convert(spec(kind, **extra), raw)
    assert str(caught.value) == reason
    if isinstance(raw, str) and len(raw) >= 4:
        assert raw not in str(caught.value)


# --- the prompt (units, exact transcripts) ----------------------------------------------


def ask(prompt: str, kind: str, answers: str, **extra: Any) -> tuple[Any, str]:
    """Ask through ValidatedPrompt with a recording console; return (value, transcript)."""
    console = Console(record=True, file=io.StringIO(), width=100, color_system=None)
    given = spec(kind, **{k: v for k, v in extra.items() if k != "default"})
    value = ValidatedPrompt.ask_validated(
        prompt,
        validate=lambda text: convert(given, text),
        console=console,
        choices=given.choices,
        default=extra.get("default"),
        stream=io.StringIO(answers),
    )
    return value, console.export_text()


def test_prompt_reasks_at_once_with_the_reason_after_an_invalid_answer():
    value, transcript = ask("Site code", "str", "bad\nabc-12\n", validate={"regex": "[a-z]+-\\d+"})
    assert value == "abc-12"
    assert transcript == "Site code: must match [a-z]+-\\d+\nSite code: "


def test_prompt_takes_the_shown_default_on_an_empty_line():
    value, transcript = ask("API port", "port", "\n", default="8006")
    assert value == 8006
    assert transcript == "API port (8006): "


def test_prompt_validates_then_takes_the_default():
    value, transcript = ask("API port", "port", "http\n70000\n\n", default="8006")
    assert value == 8006
    assert transcript == (
        "API port (8006): must be a whole number\n"
        "API port (8006): must be a port number from 1 to 65535\n"
        "API port (8006): "
    )


def test_prompt_for_a_choice_shows_the_choices_and_refuses_others():
    value, transcript = ask("Colour", "choice", "blue\ngreen\n", choices=["red", "green"])
    assert value == "green"
    assert transcript == "Colour [red/green]: must be one of: red, green\nColour [red/green]: "


def test_prompt_for_a_bool_converts_yes_and_no():
    value, transcript = ask("Verify TLS", "bool", "maybe\nn\n", default="true")
    assert value is False
    assert transcript == ("Verify TLS (true): must be yes or no (true/false)\nVerify TLS (true): ")


def test_prompt_reasons_are_shown_literally_not_as_rich_markup():
    value, transcript = ask("Name", "str", "X\nab\n", validate={"regex": "[a-z]+"})
    assert value == "ab"
    assert transcript == "Name: must match [a-z]+\nName: "


def test_a_fingerprint_in_a_prompt_is_shown_as_it_is_never_as_emoji():
    """Rich turns ":CD:" into a disc in markup unless told not to; a fingerprint has such pairs."""
    fingerprint = "AB:CD:1F:2B:3C"
    value, transcript = ask(f"Trust [b]{fingerprint}[/b]?", "str", "yes\n")
    assert value == "yes"
    assert transcript == f"Trust {fingerprint}?: "


def test_a_confirmation_shows_a_fingerprint_as_it_is():
    from glassdome.ui.console import Terminal

    err = io.StringIO()
    term = Terminal(stdin=io.StringIO("y\n"), stdout=io.StringIO(), stderr=err, env={})
    assert term.confirm("Trust [b]AB:CD:1F[/b]?") is True
    assert "Trust AB:CD:1F? [y/n] (n): " in err.getvalue()


def test_a_secret_input_given_with_set_warns_without_the_value(run):
    code, out, err = run("--set", "token=set-secret-value-553")
    assert code == 3  # host is missing: nothing runs
    assert "--set token=... puts the secret in your shell history and in `ps` output" in err
    assert "set-secret-value-553" not in err + out


def test_a_plain_input_given_with_set_does_not_warn(run):
    _, _, err = run("--set", "host=pve.lab")
    assert "shell history" not in err
