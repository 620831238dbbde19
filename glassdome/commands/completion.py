"""`glassdome completion bash|zsh|tcsh`: a completion script made from the real parser.

shtab turns the argparse tree into each shell's completion code, so every command,
option and choice completes as the parser defines it, and a new command needs no
change here. Options that take a path complete file names.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from glassdome.ui.console import Terminal

__all__ = ["print_completion"]

# shtab's FILE completion, per shell (`shtab.FILE`), set on the options that take a path.
_FILE = {"bash": "_shtab_compgen_files", "zsh": "_files", "tcsh": "f"}


def _complete_paths(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if action.type is Path and not hasattr(action, "complete"):
            action.complete = _FILE  # type: ignore[attr-defined]  # shtab reads this attribute
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _complete_paths(child)


def print_completion(term: Terminal, parser: argparse.ArgumentParser, shell: str) -> int:
    """Print *shell*'s completion script for *parser* (the whole command tree) on stdout."""
    import shtab  # only this command needs it

    _complete_paths(parser)
    script = shtab.complete(parser, shell=shell)
    term.stdout.write(script if script.endswith("\n") else script + "\n")
    term.stdout.flush()
    return 0
