"""Playbook cases as data: each folder under tests/fixtures/playbooks/cases is one run.

A case folder holds:

- ``playbook.yml``: the playbook;
- ``answers.yml`` (optional): passed with ``--answers``;
- ``env`` (optional): the ``.env`` before the run;
- ``store.json`` (optional): secrets in the store before the run;
- ``args.txt`` (optional): extra command-line arguments (shell words);
- ``env.after`` (optional): the exact bytes of ``.env`` after the run(s);
- ``expected.json``: what the run must show, read as `Expected` (a misspelt key is an
  error, not an expectation silently skipped).

``{tls_port}`` and ``{tls_sha256}`` in args.txt, expected.json and env.after stand
for a local HTTPS server this test starts for the case.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import shutil
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from tests.cli.runner import Result
from tests.conftest import REPO
from tests.playbook.support import (
    FIXTURES,
    PlaybookCli,
    counts,
    recap,
    seed,
    step_messages,
    step_statuses,
    stored,
)
from tests.playbook.tls_server import TlsServer

CASES = sorted(path for path in (FIXTURES / "cases").iterdir() if path.is_dir())


def _substitute(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


class Recap(BaseModel):
    """The counts of the ``recap`` event."""

    model_config = ConfigDict(extra="forbid", strict=True)

    ok: int
    changed: int
    skipped: int
    failed: int


class Run(BaseModel):
    """What one run of a case must show."""

    model_config = ConfigDict(extra="forbid", strict=True)

    exit: int
    steps: list[tuple[str, str]]  # [id, status] of every ``step`` event, in order
    recap: Recap | None  # None: the run ended before any step
    stopped_at: str | None = None  # the step the run stopped at (None: it did not stop)
    ignored: int | None = None  # failures ignored (``ignore_errors``)
    messages: dict[str, str] = {}  # step id: text its message contains
    stderr_contains: list[str] = []


class Expected(Run):
    """What ``expected.json`` says: the first run, what follows it, and the state after."""

    env_exists: bool | None = None  # whether .env exists after the runs
    secrets_after: dict[str, str] | None = None  # every name and value; null: no store made
    secret_lengths: dict[str, int] = {}  # names whose values are random: their lengths
    then: list[Run] = []  # identical runs that follow, and what each must show
    stable_secrets: list[str] = []  # names the later runs must not change


def _check_run(result: Result, expected: Run) -> None:
    assert result.code == expected.exit, str(result)
    assert "Traceback" not in result.err, str(result)
    assert step_statuses(result) == expected.steps, str(result)
    wanted = expected.recap.model_dump() if expected.recap else None
    assert counts(result) == wanted, str(result)
    event = recap(result)
    if event is not None:
        assert event["stopped_at"] == expected.stopped_at, str(result)
    else:
        assert expected.stopped_at is None, str(result)
    if expected.ignored is not None:
        assert event is not None
        assert event["ignored"] == expected.ignored, str(result)
    messages = step_messages(result)
    for step_id, text in expected.messages.items():
        assert text in messages[step_id], str(result)
    for text in expected.stderr_contains:
        assert text in result.err, str(result)


@pytest.mark.parametrize("case", CASES, ids=[path.name for path in CASES])
def test_case(case: Path, cli: PlaybookCli, home: Path, work: Path, tmp_path: Path):
    """The run's exit code, step statuses, recap, .env and store are what the case expects."""
    args_text = (case / "args.txt").read_text("utf-8") if (case / "args.txt").exists() else ""
    expected_text = (case / "expected.json").read_text("utf-8")
    env_after = case / "env.after"
    with contextlib.ExitStack() as stack:
        values: dict[str, str] = {}
        if "{tls_" in args_text + expected_text:
            server = stack.enter_context(TlsServer(tmp_path))
            values = {"tls_port": str(server.port), "tls_sha256": server.fingerprint}
        expected = Expected.model_validate_json(_substitute(expected_text, values))
        shutil.copyfile(case / "playbook.yml", work / "playbook.yml")
        argv = ["playbook.yml"]
        if (case / "answers.yml").exists():
            shutil.copyfile(case / "answers.yml", work / "answers.yml")
            argv += ["--answers", "answers.yml"]
        if (case / "env").exists():
            shutil.copyfile(case / "env", work / ".env")
        if (case / "store.json").exists():
            seed(home, json.loads((case / "store.json").read_text("utf-8")))
        argv += shlex.split(_substitute(args_text, values), comments=True)

        _check_run(cli.play(*argv), expected)
        first = stored(home) if expected.stable_secrets else {}
        for later in expected.then:
            _check_run(cli.play(*argv), later)

    if env_after.exists():
        wanted = _substitute(env_after.read_bytes().decode("utf-8"), values).encode("utf-8")
        assert (work / ".env").read_bytes() == wanted
    if expected.env_exists is not None:
        assert (work / ".env").exists() == expected.env_exists
    if "secrets_after" in expected.model_fields_set and expected.secrets_after is None:
        assert not home.exists(), f"the run created {sorted(p.name for p in home.iterdir())}"
    elif {"secrets_after", "secret_lengths"} & expected.model_fields_set:
        now = stored(home)
        wanted_values = expected.secrets_after or {}
        lengths = expected.secret_lengths
        assert sorted(now) == sorted({*wanted_values, *lengths})
        assert {name: now[name] for name in wanted_values} == wanted_values
        assert {name: len(now[name]) for name in lengths} == lengths
    for name in expected.stable_secrets:
        assert stored(home)[name] == first[name], f"{name} changed on a later run"


def test_the_demo_case_is_the_example_playbook_as_written():
    """The demo case runs playbooks/examples/demo.yml byte for byte, not an edited copy."""
    example = (REPO / "playbooks" / "examples" / "demo.yml").read_bytes()
    assert (FIXTURES / "cases" / "demo" / "playbook.yml").read_bytes() == example


def test_every_case_folder_is_complete():
    """Each case has a playbook and its expectations, and no file the runner would ignore."""
    known = {"playbook.yml", "answers.yml", "env", "store.json", "args.txt", "env.after"}
    for case in CASES:
        names = {path.name for path in case.iterdir()}
        assert {"playbook.yml", "expected.json"} <= names, case.name
        assert names - {"expected.json"} <= known, (case.name, names - known)


@pytest.mark.parametrize(
    "text",
    [
        '{"exit": 0, "steps": [], "recap": null, "mesages": {}}',
        '{"exit": 0, "steps": [], "recap": null, "then": [{"exit": 0, "step": [], "recap": null}]}',
        '{"exit": 0, "steps": [], "recap": {"ok": 1, "changed": 0, "skiped": 0, "failed": 0}}',
        '{"exit": "0", "steps": [], "recap": null}',
        '{"exit": 0, "steps": [["only-an-id"]], "recap": null}',
    ],
    ids=["misspelt key", "misspelt key in then", "misspelt recap count", "text exit", "short step"],
)
def test_an_expectation_the_test_would_not_check_is_an_error(text: str):
    with pytest.raises(ValidationError):
        Expected.model_validate_json(text)
