"""The leak check for playbooks: no secret value shows up in any output or any file.

Canaries enter through --set, GLASSDOME_INPUT_*, the answers file and the store
(read with secret('name')); secret.set stores them again and secret.generate
makes one more. The playbook then prints them every way it can: plainly, through
the tojson and urlencode filters, inside an http.check URL whose check fails,
inside a header http.client refuses, in an assert's message, in a template error
and in an unexpected exception (with and without GLASSDOME_DEBUG=1 tracebacks).
Every output mode (human, --json, --check, debug, the invoke task, missing
inputs) is searched for the plain, JSON-escaped, URL-encoded, repr and base64
forms, and so is every file under the test's folder, the encrypted store included.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.runner import Result
from tests.playbook.support import (
    PlaybookCli,
    encodings,
    leaks,
    seed,
    step_messages,
    step_statuses,
    stored,
    tree,
)
from tests.playbook.tls_server import TlsServer

# Characters that change under JSON-escaping ("\ and non-ASCII), URL-encoding, repr and base64.
CANARIES = {
    "--set": 'setcanary-7f3c9e-Sup3r$ecret/+="q"\\é',
    "environment": 'envcanary-4b1d08-Pa55$word/+="z"\\ü',
    "answers file": 'anscanary-9e2f41-T0ken$value/+="a"\\ß',
    "store": 'storecanary-1c7a55-K3y$stored/+="s"\\å',
}
DEBUG = {"GLASSDOME_DEBUG": "1"}

PLAYBOOK = """\
name: leak check
inputs:
  - {name: from_set, type: secret}
  - {name: from_env, type: secret}
  - {name: from_answers, type: secret}
  - {name: port, type: port}
  - {name: ca_file, type: path}
steps:
  - id: store_set
    uses: secret.set
    with: {name: leak_set, value: "{{ inputs.from_set }}"}
  - id: store_env
    uses: secret.set
    with: {name: leak_env, value: "{{ inputs.from_env }}"}
  - id: store_answers
    uses: secret.set
    with: {name: leak_answers, value: "{{ inputs.from_answers }}"}
  - id: generate
    uses: secret.generate
    with: {name: leak_generated}
  - id: show
    uses: message
    with:
      text: >-
        {{ inputs.from_set }} {{ inputs.from_env | tojson }}
        {{ inputs.from_answers | urlencode }} {{ secret('store_one') }}
        {{ secret('leak_set') | tojson }} {{ secret('store_one') | urlencode }}
  - id: generated
    uses: message
    with: {text: "{{ secret('leak_generated') }} {{ secret('leak_generated') | tojson }}"}
  - id: failing_url
    uses: http.check
    with:
      url: >-
        https://127.0.0.1:{{ inputs.port }}/?a={{ inputs.from_env | urlencode }}&b={{
        secret('store_one') | urlencode }}&c={{ inputs.from_set | urlencode }}
      ca_file: "{{ inputs.ca_file }}"
    ignore_errors: true
  - id: refused_header
    uses: http.check
    with:
      url: "https://127.0.0.1:{{ inputs.port }}/"
      ca_file: "{{ inputs.ca_file }}"
      headers: {X-Token: "{{ inputs.from_answers }}\\n"}
    ignore_errors: true
  - id: template_error
    uses: message
    with: {text: "{{ {}[inputs.from_set] }}"}
    ignore_errors: true
  - id: python_error
    uses: message
    with: {text: "{{ ('{' ~ secret('store_one') ~ '}').format() }}"}
    ignore_errors: true
  - id: config
    uses: config.set
    with: {values: {LAB_HOST: pve.lab.example}}
  - id: assert_message
    uses: assert
    with:
      that: "inputs.from_set == 'something else'"
      message: "expected another value than {{ inputs.from_set }} / {{ secret('store_one') }}"
"""


@pytest.fixture
def server(tmp_path: Path):
    with TlsServer(tmp_path, status=404) as running:
        yield running


def _answers() -> str:
    # JSON strings are YAML double-quoted strings: every character survives.
    return f"from_answers: {json.dumps(CANARIES['answers file'])}\n"


def test_no_output_mode_shows_any_secret_in_any_encoding(
    cli: PlaybookCli, home: Path, work: Path, server: TlsServer, tmp_path: Path
):
    seed(home, {"store_one": CANARIES["store"]})
    cli.write("playbook.yml", PLAYBOOK)
    answers = cli.write("answers.yml", _answers())
    answers_bytes = answers.read_bytes()
    args = (
        "--answers",
        "answers.yml",
        "--set",
        f"from_set={CANARIES['--set']}",
        "--set",
        f"port={server.port}",
        "--set",
        f"ca_file={server.ca_file}",
    )
    env = {"GLASSDOME_INPUT_FROM_ENV": CANARIES["environment"]}

    runs: dict[str, Result] = {
        "json": cli.play("playbook.yml", *args, **env),
        "human": cli.play("playbook.yml", *args, json=False, **env),
        "check json": cli.play("playbook.yml", "--check", *args, **env),
        "debug human": cli.play("playbook.yml", *args, json=False, **env, **DEBUG),
        "invoke json": cli.invoke(
            "playbook.run", "playbook.yml", "--json", "--no-input", *args, **env
        ),
    }
    first = runs["json"]
    assert first.code == 1, str(first)
    assert [status for _, status in step_statuses(first)] == [
        "changed",
        "changed",
        "changed",
        "changed",
        "ok",
        "ok",
        "failed",
        "failed",
        "failed",
        "failed",
        "changed",
        "failed",
    ], str(first)
    assert runs["human"].code == 1
    assert "unexpected ValueError: Invalid header value b'***'" in runs["human"].out
    # The KeyError's text is derived from a secret (the template read one): masked whole.
    assert "unexpected KeyError: ***" in runs["human"].out
    # In debug mode the first unexpected error stops the run with a (masked) traceback.
    debug = runs["debug human"]
    assert debug.code == 1, str(debug)
    assert "Traceback (most recent call last):" in debug.err
    assert "ValueError: Invalid header value b'***'" in debug.err
    assert runs["invoke json"].code == 1, str(runs["invoke json"])

    store_now = stored(home)
    assert store_now["leak_set"] == CANARIES["--set"]
    assert store_now["leak_env"] == CANARIES["environment"]
    assert store_now["leak_answers"] == CANARIES["answers file"]
    secrets = {**CANARIES, "generated": store_now["leak_generated"]}

    found = {mode: leaks(run.out + run.err, secrets) for mode, run in runs.items()}
    assert found == {mode: [] for mode in runs}

    # Files: none holds a secret in any form, the encrypted store and .env included; only
    # the answers file the user wrote holds its own canary, and it was not rewritten.
    assert answers.read_bytes() == answers_bytes
    files = tree(tmp_path)
    assert "home/secrets.encrypted" in files
    assert "work/.env" in files
    in_files = {
        name: leaks(data.decode("utf-8", "replace"), secrets)
        for name, data in files.items()
        if name != "work/answers.yml"
    }
    assert in_files == {name: [] for name in in_files}
    others = {label: value for label, value in secrets.items() if label != "answers file"}
    assert leaks(answers.read_text("utf-8"), others) == []
    # The server got the values, which is what the checks were for (not an output).
    assert "a=" in server.requests_text()


def test_values_refused_for_non_secret_inputs_are_never_quoted(cli: PlaybookCli, home: Path):
    """An input that fails validation is listed without its value (it may be a misplaced secret)."""
    cli.write(
        "playbook.yml",
        """\
name: misplaced values
inputs:
  - {name: port, type: port}
  - {name: host, type: host}
  - {name: token, type: secret, validate: {regex: "[a-f0-9]{32}"}}
  - {name: mode, type: choice, choices: [a, b]}
steps:
  - {id: s, uses: secret.set, with: {name: t, value: "{{ inputs.token }}"}}
""",
    )
    cli.write("answers.yml", f"mode: {json.dumps(CANARIES['answers file'])}\n")
    result = cli.play(
        "playbook.yml",
        "--answers",
        "answers.yml",
        "--set",
        f"port={CANARIES['--set']}",
        "--set",
        f"token={CANARIES['store']}",
        GLASSDOME_INPUT_HOST=CANARIES["environment"],
    )
    assert result.code == 3, str(result)
    assert leaks(result.out + result.err, CANARIES) == []
    assert not home.exists()


def test_the_canary_forms_are_distinct_and_the_check_would_see_them():
    """Guard for the test itself: each form differs from the plain one and is found."""
    for canary in CANARIES.values():
        forms = encodings(canary)
        assert len({forms["plain"], forms["json"], forms["url"], forms["repr"]}) == 4
        assert leaks(f"prefix {forms['url-path']} suffix", {"x": canary}) != []


@pytest.mark.parametrize(
    "value",
    ['"{{ inputs.pw }}"', '"https://svc:{{ inputs.pw }}@lab"', "\"{{ secret('stored_pw') }}\""],
)
def test_config_set_refuses_a_value_that_holds_a_secret(
    cli: PlaybookCli, home: Path, work: Path, value: str
):
    """.env is plaintext: a secret input or a stored secret rendered into a value never lands
    there, in --check or in a real run."""
    seed(home, {"stored_pw": "stored-canary-8e1f"})
    cli.write(
        "playbook.yml",
        "name: p\ninputs:\n  - {name: pw, type: secret}\nsteps:\n"
        f"  - {{id: save, uses: config.set, with: {{values: {{APP_URL: {value}}}}}}}\n",
    )
    for extra in (("--check",), ()):
        result = cli.play("playbook.yml", *extra, GLASSDOME_INPUT_PW="input-canary-5c2d")
        assert result.code == 1, str(result)
        assert step_statuses(result) == [("save", "failed")]
        assert "APP_URL: the value holds a secret" in step_messages(result)["save"]
        assert "canary" not in result.out + result.err
    assert not (work / ".env").exists()
