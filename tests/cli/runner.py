"""Run glassdome, its invoke tasks and its migration script as real processes.

Every run gets the environment of `tests.conftest.subprocess_env` (file
backend, test password, fast KDF, no prompts) plus a stable terminal, and runs
in a work folder that holds the ``.env``.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from glassdome.primitives.names import SECRET_VARIABLE_RULE
from tests.conftest import REPO, subprocess_env

if TYPE_CHECKING:
    import pexpect

TERMINAL_ENV = {"TERM": "dumb", "NO_COLOR": "1", "COLUMNS": "200"}
SCRIPT = REPO / "scripts" / "migrate_secrets.py"
# Environment variables a secret is handed to `secrets exec` as.
SECRET_VARIABLE = re.compile("(?i)" + SECRET_VARIABLE_RULE)
# A child for `secrets exec`: prints the secret variables it was given, as JSON.
DUMP_SECRETS = (
    "import json, os, re, sys; "
    f"pattern = re.compile({SECRET_VARIABLE.pattern!r}); "
    "json.dump({k: v for k, v in os.environ.items() if pattern.fullmatch(k)}, sys.stdout)"
)


@dataclass(frozen=True)
class Result:
    """What a finished process printed, and its exit code."""

    argv: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    def __str__(self) -> str:
        return f"{self.argv[2:]} -> {self.code}\n--- stdout\n{self.out}--- stderr\n{self.err}"


@dataclass
class Cli:
    """glassdome against the store in *home*, run from *cwd*."""

    home: Path
    cwd: Path

    def env(self, unset: Iterable[str] = (), **extra: str) -> dict[str, str]:
        env = subprocess_env(self.home, **{**TERMINAL_ENV, **extra})  # extra may replace TERM
        removed = frozenset(unset)
        for name in list(env):
            # A secret variable inherited from the developer's shell would pose as a stored one.
            if SECRET_VARIABLE.fullmatch(name) or name in removed:
                del env[name]
        return env

    def run(
        self, argv: list[str], *, input: str | None = None, unset: Iterable[str] = (), **extra: str
    ) -> Result:
        completed = subprocess.run(
            argv,
            cwd=self.cwd,
            env=self.env(unset, **extra),
            input=input.encode("utf-8") if input is not None else None,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
        return Result(
            tuple(argv),
            completed.returncode,
            completed.stdout.decode("utf-8"),
            completed.stderr.decode("utf-8"),
        )

    def __call__(
        self, *args: str, input: str | None = None, unset: Iterable[str] = (), **extra: str
    ) -> Result:
        """Run ``python -m glassdome ARGS``."""
        return self.run(
            [sys.executable, "-m", "glassdome", *args], input=input, unset=unset, **extra
        )

    def invoke(self, *args: str, input: str | None = None, **extra: str) -> Result:
        """Run ``invoke -r REPO ARGS`` (the repository's tasks.py)."""
        return self.run(
            [sys.executable, "-m", "invoke", "-r", str(REPO), *args], input=input, **extra
        )

    def script(self, *args: str, **extra: str) -> Result:
        """Run ``scripts/migrate_secrets.py ARGS`` without a terminal."""
        return self.run([sys.executable, str(SCRIPT), *args], **extra)

    def set(self, name: str, value: str, **extra: str) -> None:
        """Store *value* by piping it to ``secrets set``."""
        result = self("secrets", "set", name, input=value + "\n", **extra)
        assert result.code == 0, str(result)

    def get(self, name: str, **extra: str) -> str:
        """Read a value back with ``secrets get`` (which adds one newline)."""
        result = self("secrets", "get", name, **extra)
        assert result.code == 0, str(result)
        assert result.out.endswith("\n"), str(result)
        return result.out[:-1]

    def names(self, **extra: str) -> list[str]:
        """The stored names, from ``secrets list --json``."""
        import json

        result = self("secrets", "list", "--json", **extra)
        assert result.code == 0, str(result)
        names: list[str] = json.loads(result.out)["secrets"]
        return names

    def stored_variables(self) -> dict[str, str]:
        """Every stored secret as `secrets exec` hands it to a command (``NAME``: value)."""
        import json

        result = self("secrets", "exec", "--", sys.executable, "-c", DUMP_SECRETS)
        assert result.code == 0, str(result)
        found: dict[str, str] = json.loads(result.out)
        return found

    def spawn(self, argv: list[str], *, unset: Iterable[str] = (), **extra: str) -> pexpect.spawn:
        """Start *argv* on a pseudo-terminal with prompts allowed (transcript: ``logfile_read``)."""
        import pexpect

        env = self.env(("GLASSDOME_NO_INPUT", *unset), **extra)
        child = pexpect.spawn(
            argv[0],
            argv[1:],
            cwd=str(self.cwd),
            env=env,
            encoding="utf-8",
            timeout=30,
            dimensions=(24, 200),
        )
        child.logfile_read = io.StringIO()
        return child

    def spawn_glassdome(self, *args: str, unset: Iterable[str] = (), **extra: str) -> pexpect.spawn:
        """``python -m glassdome ARGS`` on a pseudo-terminal."""
        return self.spawn([sys.executable, "-m", "glassdome", *args], unset=unset, **extra)


def finish(child: pexpect.spawn) -> tuple[int, str]:
    """Wait for *child* to end; return its exit code and the whole transcript."""
    import pexpect

    child.expect(pexpect.EOF)
    child.close()
    transcript = child.logfile_read.getvalue()
    assert child.exitstatus is not None, f"killed by signal {child.signalstatus}\n{transcript}"
    return child.exitstatus, transcript


def one_error_line(result: Result) -> str:
    """Assert stderr is exactly one ``glassdome: error:`` line with no traceback; return it."""
    assert "Traceback" not in result.err, str(result)
    assert len(result.err_lines) == 1, str(result)
    line = result.err_lines[0]
    assert line.startswith("glassdome: error: "), str(result)
    return line
