"""The terminal a command talks to: streams, environment, and Rich consoles over them.

Everything is injectable, so commands are tested with real streams and a
pseudo-terminal rather than patches.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

from glassdome.primitives.flags import env_flag

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["Terminal"]


class Terminal:
    """Where a command reads and writes. Reports and data go to stdout; talk goes to stderr.

    The rule every command follows (CONTRIBUTING.md, "Output"): what the command exists
    to show (a table, a listing, a recap and its totals line, a value, a JSON document)
    is printed on stdout with `report` or `write_json`; talk (acknowledgements, hints,
    progress bars, warnings, errors and prompts) goes to stderr with `say`, `warn` and
    the prompts. With ``--json`` stdout holds only JSON, so whatever a person should
    still see goes to stderr.

    It is a `glassdome.primitives.master.PasswordPrompt`: a command hands it to the
    store, so the master password is asked for on this terminal.
    """

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.stdin: TextIO = sys.stdin if stdin is None else stdin
        self.stdout: TextIO = sys.stdout if stdout is None else stdout
        self.stderr: TextIO = sys.stderr if stderr is None else stderr
        self.env: Mapping[str, str] = os.environ if env is None else env

    def __repr__(self) -> str:
        return "Terminal()"

    def _isatty(self, stream: TextIO) -> bool:
        try:
            return stream.isatty()
        except (ValueError, OSError):
            return False

    @property
    def interactive(self) -> bool:
        """Whether we may ask questions: stdin is a terminal and GLASSDOME_NO_INPUT is unset."""
        return self._isatty(self.stdin) and not env_flag(self.env, "GLASSDOME_NO_INPUT")

    @property
    def stdout_is_terminal(self) -> bool:
        """Whether stdout is a person's terminal (not a pipe or file)."""
        return self._isatty(self.stdout)

    @property
    def no_color(self) -> bool | None:
        """True when this terminal's environment sets NO_COLOR (https://no-color.org).

        None leaves it to Rich, which reads the process environment.
        """
        return True if self.env.get("NO_COLOR", "") != "" else None

    def _console(self, stream: TextIO) -> Console:
        from rich.console import Console

        # No emoji codes: a fingerprint such as "...:AB:..." must print as it is, not as 🆎.
        return Console(
            file=stream, highlight=False, soft_wrap=True, emoji=False, no_color=self.no_color
        )

    @cached_property
    def out(self) -> Console:
        """A Rich console on stdout, for reports: tables, listings, recaps."""
        return self._console(self.stdout)

    @cached_property
    def err(self) -> Console:
        """A Rich console on stderr, for messages, warnings and prompts."""
        return self._console(self.stderr)

    def report(self, *objects: Any) -> None:
        """Print part of the command's report on stdout: a table, or its totals line (markup)."""
        self.out.print(*objects)

    def write_json(self, document: Any) -> None:
        """Print *document* as one line of JSON on stdout (a ``--json`` report), flushed."""
        write = getattr(self.stdout, "write_json", None)  # a RedactingStream masks each string
        if write is not None:
            write(document)
        else:
            import json

            self.stdout.write(json.dumps(document) + "\n")
        self.stdout.flush()

    def say(self, message: str) -> None:
        """Print one line of talk on stderr (Rich markup allowed)."""
        self.err.print(message)

    def warn(self, message: str) -> None:
        """Print a warning on stderr."""
        self.err.print(f"[yellow]warning:[/] {message}")

    def ask_secret(self, prompt: str) -> str:
        """Ask for a hidden value on the terminal."""
        from rich.prompt import Prompt
        from rich.text import Text

        # As text, not markup: Rich would read emoji codes in it whatever the console says.
        return Prompt.ask(Text(prompt, style="prompt"), password=True, console=self.err)

    def confirm(self, prompt: str, *, default: bool = False) -> bool:
        """Ask a yes/no question on the terminal."""
        from rich.prompt import Confirm
        from rich.text import Text

        question = Text.from_markup(prompt, style="prompt", emoji=False)
        return Confirm.ask(question, console=self.err, default=default, stream=self.stdin)
