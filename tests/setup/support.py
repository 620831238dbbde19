"""Running a setup wizard (``glassdome play playbooks/setup/NAME.yml``) as a real process.

`WizardCli` is the CLI runner of ``tests/cli`` bound to one wizard's playbook:
it runs the playbook (on a pseudo-terminal or not), writes answers files, and
keeps every output of ``play`` and ``invoke`` for the leak checks. The rest
reads what a run reported and checks that a secret never shows in any of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.cli.runner import Cli, Result
from tests.conftest import REPO
from tests.leaks import forms
from tests.playbook.support import step_statuses

if TYPE_CHECKING:
    import pexpect

SETUP_PLAYBOOKS = REPO / "playbooks" / "setup"


def work_folder(tmp_path: Path, env_text: str | None = None) -> Path:
    """The folder a wizard runs from, holding *env_text* as its ``.env`` (none when None)."""
    folder = tmp_path / "work"
    folder.mkdir()
    if env_text is not None:
        (folder / ".env").write_bytes(env_text.encode("utf-8"))
    return folder


@dataclass
class WizardCli(Cli):
    """glassdome for the setup wizard *wizard*; what ``play`` and ``invoke`` print is kept."""

    wizard: str = field(kw_only=True)
    outputs: list[str] = field(default_factory=list, kw_only=True)

    @property
    def playbook(self) -> Path:
        """``playbooks/setup/WIZARD.yml`` in the repository."""
        return SETUP_PLAYBOOKS / f"{self.wizard}.yml"

    def _keep(self, result: Result) -> Result:
        """Add what *result* printed to `outputs`; return it."""
        self.outputs += [result.out, result.err]
        return result

    def play(self, *args: str, unset: Iterable[str] = (), **extra: str) -> Result:
        """``glassdome play PLAYBOOK ARGS``; its output is kept for the leak checks."""
        return self._keep(self("play", str(self.playbook), *args, unset=unset, **extra))

    def invoke(self, *args: str, input: str | None = None, **extra: str) -> Result:
        """``invoke -r REPO ARGS``; its output is kept for the leak checks."""
        return self._keep(super().invoke(*args, input=input, **extra))

    def spawn_play(self, *args: str, unset: Iterable[str] = (), **extra: str) -> pexpect.spawn:
        """``glassdome play PLAYBOOK ARGS`` on a pseudo-terminal (see `Cli.spawn`)."""
        return self.spawn_glassdome("play", str(self.playbook), *args, unset=unset, **extra)

    def write_answers(self, values: Mapping[str, Any], name: str = "answers.yml") -> Path:
        """*values* as an answers file in the work folder: JSON, which is YAML and quotes safely."""
        path = self.cwd / name
        path.write_text(json.dumps(dict(values)), encoding="utf-8")
        return path


def step_events(result: Result) -> list[dict[str, Any]]:
    """The step events of a ``--json`` run (lines of stdout that are not JSON are passed over)."""
    found = [json.loads(line) for line in result.out.splitlines() if line.startswith("{")]
    return [event for event in found if event["event"] == "step"]


def statuses(result: Result) -> dict[str, str]:
    """Each step's status by id, from a ``--json`` run whose stdout holds nothing but events."""
    return dict(step_statuses(result))


def failed_step(result: Result) -> dict[str, Any]:
    """The one failed step of a run that exited 1, its message one line and no traceback shown."""
    assert result.code == 1, str(result)
    (failed,) = [event for event in step_events(result) if event["status"] == "failed"]
    assert "\n" not in str(failed["message"])
    assert "Traceback" not in result.err
    return failed


def assert_no_leak(secret: str, texts: Iterable[str]) -> None:
    """*secret* shows in none of *texts*, in any form of `tests.leaks.forms`."""
    for text in texts:
        for kind, form in forms(secret).items():
            assert form not in text, f"the secret shows ({kind}) in:\n{text}"
