"""The ``glassdome completion`` command of the command table."""

from __future__ import annotations

from typing import Any

from glassdome.parser.base import command

__all__ = ["SHELLS", "add_completion_command"]

SHELLS = ("bash", "zsh", "tcsh")


def add_completion_command(groups: Any) -> None:
    """``completion bash|zsh|tcsh``."""
    p = command(
        groups,
        "completion",
        "Print a shell completion script for glassdome, made from its own parser "
        "(see the README: source it from your shell's start-up file).",
        help="print a shell completion script (bash, zsh, tcsh)",
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
