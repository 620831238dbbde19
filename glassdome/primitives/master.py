"""Where the master password comes from: a file, the environment, or a hidden prompt."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from glassdome.errors import MasterPasswordUnavailable, WeakMasterPassword
from glassdome.primitives.crypto import MIN_PASSWORD_LENGTH
from glassdome.primitives.sensitive import Sensitive

__all__ = [
    "ENV_PASSWORD",
    "ENV_PASSWORD_FILE",
    "MasterPasswordSource",
    "read_password_file",
    "rich_ask",
    "strip_final_newline",
]

ENV_PASSWORD_FILE = "GLASSDOME_MASTER_PASSWORD_FILE"  # noqa: S105 - a variable name
ENV_PASSWORD = "GLASSDOME_MASTER_PASSWORD"  # noqa: S105 - a variable name
ENV_NO_INPUT = "GLASSDOME_NO_INPUT"
_PROMPT_ATTEMPTS = 3


def rich_ask(prompt: str) -> str:
    """Ask for a hidden value with Rich, on stderr so stdout stays clean for scripts."""
    from rich.console import Console
    from rich.prompt import Prompt
    from rich.text import Text

    # As text: Rich would read markup and emoji codes in a prompt string.
    return Prompt.ask(Text(prompt, style="prompt"), password=True, console=Console(stderr=True))


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


class MasterPasswordSource:
    """Find the master password: a file, the environment, or a hidden prompt.

    In that order: ``$GLASSDOME_MASTER_PASSWORD_FILE``, ``$GLASSDOME_MASTER_PASSWORD``,
    then a hidden prompt when stdin is a terminal.

    *env*, *stdin* and *ask* are injectable so tests drive it without a terminal.
    """

    __slots__ = ("ask", "env", "stdin")

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        stdin: TextIO | None = None,
        ask: Callable[[str], str] = rich_ask,
    ) -> None:
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.stdin = stdin
        self.ask = ask

    def __repr__(self) -> str:
        # Not the environment: it may hold GLASSDOME_MASTER_PASSWORD itself.
        return f"MasterPasswordSource(origin={self.origin()!r})"

    def origin(self) -> str:
        """Name the source that would be used, without reading any secret."""
        if self.env.get(ENV_PASSWORD_FILE):
            return f"{ENV_PASSWORD_FILE} ({self.env[ENV_PASSWORD_FILE]})"
        if self.env.get(ENV_PASSWORD):
            return ENV_PASSWORD
        if self._can_prompt():
            return "prompt"
        return "none"

    @property
    def interactive(self) -> bool:
        """Whether the password is typed, so a wrong one may be asked for again."""
        return self.origin() == "prompt"

    def _can_prompt(self) -> bool:
        if _truthy(self.env.get(ENV_NO_INPUT)):
            return False
        stream = self.stdin if self.stdin is not None else sys.stdin
        try:
            return stream is not None and stream.isatty()
        except (ValueError, OSError):  # closed or detached stdin
            return False

    def get(self, *, new: bool, purpose: str = "the glassdome secret store") -> Sensitive:
        """Return the master password; *new* asks twice and enforces the minimum length."""
        file_name = self.env.get(ENV_PASSWORD_FILE)
        if file_name:
            password = Sensitive(read_password_file(Path(file_name), ENV_PASSWORD_FILE))
        elif self.env.get(ENV_PASSWORD):
            password = Sensitive(self.env[ENV_PASSWORD])
        elif self._can_prompt():
            return self._prompt_new(purpose) if new else self._prompt(purpose)
        else:
            raise MasterPasswordUnavailable(
                "the secret store needs its master password and there is no terminal to ask "
                f"on: set {ENV_PASSWORD_FILE} to a file holding it (best), or "
                f"{ENV_PASSWORD}, or run in a terminal"
                + (f" without {ENV_NO_INPUT}=1" if _truthy(self.env.get(ENV_NO_INPUT)) else "")
            )
        if new and len(password.get_secret_value()) < MIN_PASSWORD_LENGTH:
            raise WeakMasterPassword(
                f"the new store's master password (from {self.origin()}) is shorter than "
                f"{MIN_PASSWORD_LENGTH} characters; choose a longer one"
            )
        return password

    def _prompt(self, purpose: str) -> Sensitive:
        return Sensitive(self.ask(f"Master password for {purpose}"))

    def _prompt_new(self, purpose: str) -> Sensitive:
        for _ in range(_PROMPT_ATTEMPTS):
            first = self.ask(f"New master password for {purpose}")
            if len(first) < MIN_PASSWORD_LENGTH:
                _say(f"The master password must be at least {MIN_PASSWORD_LENGTH} characters.")
                continue
            if self.ask("Repeat the master password") != first:
                _say("The two entries differ; try again.")
                continue
            return Sensitive(first)
        raise WeakMasterPassword(
            f"no usable new master password after {_PROMPT_ATTEMPTS} attempts; nothing was stored"
        )


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def read_password_file(path: Path, label: str) -> str:
    """Read a password file (*label* names where its path came from); one trailing newline goes."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MasterPasswordUnavailable(
            f"{label} points at {path}, which cannot be read ({exc.strerror}); fix the path"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MasterPasswordUnavailable(
            f"{label} points at {path}, which is not UTF-8 text"
        ) from None
    text = strip_final_newline(text)
    if not text:
        raise MasterPasswordUnavailable(f"{label} points at {path}, which is empty")
    return text


def strip_final_newline(text: str) -> str:
    r"""*text* without one final ``\n`` or ``\r\n``: how an editor or ``echo`` ends a value."""
    return text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
