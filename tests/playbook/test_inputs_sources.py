"""Inputs: where values come from (--set, GLASSDOME_INPUT_*, an answers file, a default),
how each type is converted and checked, and an ask step's answer without a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.playbook.support import PlaybookCli, step_messages

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
