"""Running `glassdome play` as a real process and reading what it reports.

`PlaybookCli` is the CLI runner of ``tests/cli`` (file store in a temporary
GLASSDOME_HOME, test password, fast KDF, no prompts) plus helpers for
playbooks: JSON Lines events, the secret store read back through the real
file backend, and the environment scrubbed of settings a developer's shell
might hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glassdome.core.config import Settings
from glassdome.core.secrets import SecretsManager
from tests.cli.runner import Cli, Result
from tests.conftest import REPO, subprocess_env
from tests.leaks import forms

FIXTURES = REPO / "tests" / "fixtures" / "playbooks"

# Settings read from the process environment would beat the test's .env.
SETTINGS_VARIABLES = tuple(name.upper() for name in Settings.model_fields)


def events(result: Result) -> list[dict[str, Any]]:
    """The JSON Lines events of a ``--json`` run (stdout holds nothing else)."""
    return [json.loads(line) for line in result.out.splitlines()]


def step_statuses(result: Result) -> list[tuple[str, str]]:
    """``(id, status)`` of every ``step`` event, in order."""
    return [(e["id"], e["status"]) for e in events(result) if e["event"] == "step"]


def step_messages(result: Result) -> dict[str, str]:
    """The message of every ``step`` event by step id."""
    return {e["id"]: e["message"] for e in events(result) if e["event"] == "step"}


def recap(result: Result) -> dict[str, Any] | None:
    """The ``recap`` event, or None when the run ended before any step."""
    found = [e for e in events(result) if e["event"] == "recap"]
    assert len(found) <= 1, str(result)
    return found[0] if found else None


def counts(result: Result) -> dict[str, int] | None:
    """ok/changed/skipped/failed of the recap event."""
    event = recap(result)
    if event is None:
        return None
    return {key: event[key] for key in ("ok", "changed", "skipped", "failed")}


def store(home: Path) -> SecretsManager:
    """The real file store in *home*, opened as the child processes open it."""
    return SecretsManager(home, "file", env=subprocess_env(home))


def seed(home: Path, values: Mapping[str, str]) -> None:
    """Put *values* into the file store before a run."""
    if values:
        store(home).set_many(dict(values))


def stored(home: Path) -> dict[str, str]:
    """Every name and value in the file store (empty when there is no store)."""
    if not home.exists():
        return {}
    manager = store(home)
    values: dict[str, str] = {}
    for name in manager.list_secrets():
        value = manager.get_secret(name)
        assert value is not None
        values[name] = value
    return values


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under *folder* (relative path: bytes), to compare before and after."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


encodings = forms  # the leak checks' one list of forms


def leaks(text: str, secrets: Mapping[str, str]) -> list[str]:
    """Which encodings of which labelled secrets occur in *text*."""
    return [
        f"{label} ({kind})"
        for label, secret in secrets.items()
        for kind, form in encodings(secret).items()
        if form in text
    ]


@dataclass
class PlaybookCli(Cli):
    """`Cli` for playbooks: ``play`` runs with ``--json --no-input`` unless told otherwise."""

    def env(self, unset: Iterable[str] = (), **extra: str) -> dict[str, str]:
        return super().env((*SETTINGS_VARIABLES, *unset), **extra)

    def play(
        self,
        playbook: str | Path,
        *args: str,
        json: bool = True,
        no_input: bool = True,
        unset: Iterable[str] = (),
        **extra: str,
    ) -> Result:
        """``python -m glassdome play PLAYBOOK [--json] [--no-input] ARGS``."""
        flags = [*(["--json"] if json else []), *(["--no-input"] if no_input else [])]
        return self("play", str(playbook), *flags, *args, unset=unset, **extra)

    def write(self, name: str, text: str) -> Path:
        """Write a file into the work folder (a playbook, an answers file, a .env)."""
        path = self.cwd / name
        path.write_text(text, encoding="utf-8")
        return path
