"""Playbook cases as data: each folder under tests/fixtures/playbooks/cases is one run.

A case folder holds:

- ``playbook.yml``: the playbook;
- ``answers.yml`` (optional): passed with ``--answers``;
- ``env`` (optional): the ``.env`` before the run;
- ``store.json`` (optional): secrets in the store before the run;
- ``args.txt`` (optional): extra command-line arguments (shell words);
- ``env.after`` (optional): the exact bytes of ``.env`` after the run(s);
- ``expected.json``: ``exit``, ``steps`` (ordered ``[id, status]`` of the ``step``
  events), ``recap`` (ok/changed/skipped/failed, or null when no step ran), and
  optionally ``stopped_at``, ``ignored``, ``messages`` (step id: text the step's
  message contains), ``stderr_contains``, ``env_exists``, ``secrets_after`` (every
  name in the store with its value, or null: no store was created),
  ``secret_lengths``, ``then`` (expectations of identical runs that follow) and
  ``stable_secrets`` (names whose values the later runs must not change).

``{tls_port}`` and ``{tls_sha256}`` in args.txt, expected.json and env.after stand
for a local HTTPS server this test starts for the case.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest

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


def _check_run(result: Result, expected: dict[str, Any]) -> None:
    assert result.code == expected["exit"], str(result)
    assert "Traceback" not in result.err, str(result)
    assert step_statuses(result) == [tuple(pair) for pair in expected["steps"]], str(result)
    assert counts(result) == expected["recap"], str(result)
    event = recap(result)
    if "stopped_at" in expected:
        assert event is not None
        assert event["stopped_at"] == expected["stopped_at"], str(result)
    elif event is not None:
        assert event["stopped_at"] is None, str(result)
    if "ignored" in expected:
        assert event is not None
        assert event["ignored"] == expected["ignored"], str(result)
    messages = step_messages(result)
    for step_id, text in expected.get("messages", {}).items():
        assert text in messages[step_id], str(result)
    for text in expected.get("stderr_contains", []):
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
        expected = json.loads(_substitute(expected_text, values))
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
        first = stored(home) if "stable_secrets" in expected else {}
        for later in expected.get("then", []):
            _check_run(cli.play(*argv), later)

    if env_after.exists():
        wanted = _substitute(env_after.read_bytes().decode("utf-8"), values).encode("utf-8")
        assert (work / ".env").read_bytes() == wanted
    if expected.get("env_exists") is False:
        assert not (work / ".env").exists()
    if "secrets_after" in expected and expected["secrets_after"] is None:
        assert not home.exists(), f"the run created {sorted(p.name for p in home.iterdir())}"
    elif "secrets_after" in expected or "secret_lengths" in expected:
        now = stored(home)
        wanted_values = expected.get("secrets_after", {})
        lengths = expected.get("secret_lengths", {})
        assert sorted(now) == sorted({*wanted_values, *lengths})
        assert {name: now[name] for name in wanted_values} == wanted_values
        assert {name: len(now[name]) for name in lengths} == lengths
    for name in expected.get("stable_secrets", []):
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
