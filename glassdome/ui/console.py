"""The terminal a command talks to: streams, environment, and Rich consoles over them.

Everything is injectable, so commands are tested with real streams and a
pseudo-terminal rather than patches.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, TextIO

from glassdome.primitives.flags import env_flag

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["Terminal"]


class Terminal:
    """Where a command reads and writes. Data goes to stdout; talk goes to stderr.

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

    @cached_property
    def out(self) -> Console:
        """A Rich console on stdout, for tables and data."""
        from rich.console import Console

        # No emoji codes: a fingerprint such as "...:AB:..." must print as it is, not as 🆎.
        return Console(file=self.stdout, highlight=False, soft_wrap=True, emoji=False)

    @cached_property
    def err(self) -> Console:
        """A Rich console on stderr, for messages, warnings and prompts."""
        from rich.console import Console

        return Console(file=self.stderr, highlight=False, soft_wrap=True, emoji=False)

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
