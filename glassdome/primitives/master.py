"""Where the master password comes from: a file, the environment, or a hidden prompt.

The prompt is injected (`PasswordPrompt`): a command passes its `Terminal`, so the
question goes where the command's other output goes. Without one, a terminal is
asked through the standard library's `getpass`, so Python code that opens the
store on a terminal is asked too. Nothing here imports Rich.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, TextIO, runtime_checkable

from glassdome.errors import MasterPasswordUnavailable, WeakMasterPassword
from glassdome.primitives.flags import env_flag
from glassdome.primitives.sensitive import Sensitive

__all__ = [
    "ENV_NO_INPUT",
    "ENV_PASSWORD",
    "ENV_PASSWORD_FILE",
    "GetpassPrompt",
    "MasterPasswordSource",
    "PasswordPrompt",
    "read_password_file",
    "strip_final_newline",
]

ENV_PASSWORD_FILE = "GLASSDOME_MASTER_PASSWORD_FILE"  # noqa: S105 - a variable name
ENV_PASSWORD = "GLASSDOME_MASTER_PASSWORD"  # noqa: S105 - a variable name
ENV_NO_INPUT = "GLASSDOME_NO_INPUT"
_PROMPT_ATTEMPTS = 3


@runtime_checkable
class PasswordPrompt(Protocol):
    """Where a password is asked for: a hidden question, and a line said between attempts.

    `glassdome.ui.console.Terminal` is one; tests pass a script of answers.
    """

    def ask_secret(self, prompt: str) -> str:
        """Ask *prompt* (no trailing colon) with echo off; return what was typed."""
        ...

    def say(self, message: str) -> None:
        """Tell the person something (a retry reason), never a typed value."""
        ...


class GetpassPrompt:
    """The prompt used when none is injected: `getpass` on the terminal, talk on *stream*."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def __repr__(self) -> str:
        return "GetpassPrompt()"

    def ask_secret(self, prompt: str) -> str:
        """Ask on the controlling terminal (stderr when there is none) with echo off."""
        import getpass

        return getpass.getpass(f"{prompt}: ", stream=self._stream or sys.stderr)

    def say(self, message: str) -> None:
        """Print *message* on *stream* (stderr by default), away from a script's stdout."""
        print(message, file=self._stream or sys.stderr)


class MasterPasswordSource:
    """Find the master password: a file, the environment, or a hidden prompt.

    In that order: ``$GLASSDOME_MASTER_PASSWORD_FILE``, ``$GLASSDOME_MASTER_PASSWORD``,
    then *prompt* when stdin is a terminal (and ``GLASSDOME_NO_INPUT`` is not on).

    *env*, *stdin* and *prompt* are injectable so tests drive it without a terminal;
    *prompt* defaults to `GetpassPrompt`. It may be replaced later (`prompt` is a
    plain attribute): the process-wide store asks on the terminal of the command
    that uses it.
    """

    __slots__ = ("env", "prompt", "stdin")

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        stdin: TextIO | None = None,
        prompt: PasswordPrompt | None = None,
    ) -> None:
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.stdin = stdin
        self.prompt: PasswordPrompt | None = prompt

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
        if env_flag(self.env, ENV_NO_INPUT):
            return False
        stream = self.stdin if self.stdin is not None else sys.stdin
        try:
            return stream is not None and stream.isatty()
        except (ValueError, OSError):  # closed or detached stdin
            return False

    def _asker(self) -> PasswordPrompt:
        return self.prompt if self.prompt is not None else GetpassPrompt()

    def get(self, *, new: bool, purpose: str = "the glassdome secret store") -> Sensitive:
        """Return the master password; *new* asks twice and enforces the minimum length."""
        from glassdome.primitives.crypto import check_new_password

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
                + (f" without {ENV_NO_INPUT}=1" if env_flag(self.env, ENV_NO_INPUT) else "")
            )
        if new:
            check_new_password(password, origin=self.origin())
        return password

    def _prompt(self, purpose: str) -> Sensitive:
        return Sensitive(self._asker().ask_secret(f"Master password for {purpose}"))

    def _prompt_new(self, purpose: str) -> Sensitive:
        from glassdome.primitives.crypto import MIN_PASSWORD_LENGTH, check_new_password

        prompt = self._asker()
        for _ in range(_PROMPT_ATTEMPTS):
            first = Sensitive(prompt.ask_secret(f"New master password for {purpose}"))
            try:
                check_new_password(first)
            except WeakMasterPassword:
                prompt.say(
                    f"The master password must be at least {MIN_PASSWORD_LENGTH} characters."
                )
                continue
            if prompt.ask_secret("Repeat the master password") != first.get_secret_value():
                prompt.say("The two entries differ; try again.")
                continue
            return first
        raise WeakMasterPassword(
            f"no usable new master password after {_PROMPT_ATTEMPTS} attempts; nothing was stored"
        )


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
