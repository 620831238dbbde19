"""The parser class and the small helpers every part of the command table uses."""

from __future__ import annotations

import argparse
import re
from typing import Any

from glassdome.errors import UsageError

__all__ = ["Parser", "command", "flag", "only"]

# argparse shows the refused word with %r: single- or double-quoted, backslash-escaped.
_QUOTED_REFUSAL = re.compile(
    r"""(invalid (?:choice|[\w ]+ value)): (?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
)


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Raise `UsageError` (one line, exit 2) instead of printing usage and exiting."""
        if message.startswith("unrecognized arguments:"):
            # A stray argument is often a value typed where it does not belong: never echo it.
            count = len(message.split(":", 1)[1].split())
            message = (
                f"{count} unexpected argument(s), not shown in case one is a secret; "
                "give a secret's value through the prompt, stdin or --from-file"
            )
        else:
            # argparse quotes what it refused ("invalid choice: 'x'", "invalid int value: 'x'"):
            # that word may be a value typed in the wrong place, so it is not repeated.
            message = _QUOTED_REFUSAL.sub(r"\1 (not shown)", message)
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _only(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _flag(parser: argparse.ArgumentParser, *names: str, help: str) -> None:
    """An on/off option (``store_true``)."""
    parser.add_argument(*names, action="store_true", help=help)


def _command(commands: Any, name: str, description: str, *, help: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help, description=description)
    return parser


def only(value: str) -> list[str]:
    """A comma-separated list option: ``a, b,`` -> ``["a", "b"]``."""
    return [part.strip() for part in value.split(",") if part.strip()]


def flag(parser: argparse.ArgumentParser, *names: str, help: str) -> None:
    """An on/off option (``store_true``)."""
    parser.add_argument(*names, action="store_true", help=help)


def command(commands: Any, name: str, description: str, *, help: str) -> argparse.ArgumentParser:
    """A sub-command *name* with its one-line *help* and longer *description*."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help, description=description)
    return parser
