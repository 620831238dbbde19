"""The command table: every `glassdome` command, its options and their help, defined once.

`glassdome.cli` parses with it; the invoke tasks (tasks.py) are made from it
(`command_parsers`), so an option, its help and its parsing exist in one place.
"""

from __future__ import annotations

import argparse

from glassdome import __version__
from glassdome.parser.agent import AGENT_GROUPS, add_agent_commands
from glassdome.parser.base import Parser
from glassdome.parser.completion import add_completion_command
from glassdome.parser.runs import add_playbook_commands, add_rotate_commands, add_verify_command
from glassdome.parser.secrets import add_secrets_commands

__all__ = ["GROUPS", "build_parser", "command_parsers"]

GROUPS = (
    "secrets",
    "play",
    "playbook",
    "setup",
    "verify",
    "rotate",
    "completion",
    *AGENT_GROUPS,
)  # the first words of every command


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command tree; with *only*, just that command group (a faster start-up)."""
    parser = Parser(
        prog="glassdome",
        description="Provision lab infrastructure with credentials kept in a secret store.",
    )
    parser.add_argument("--version", action="version", version=f"glassdome {__version__}")
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", parser_class=Parser)
    groups.required = True
    if only in (None, "secrets"):
        add_secrets_commands(groups)
    if only not in ("secrets", "verify", "rotate", "completion", *AGENT_GROUPS):
        add_playbook_commands(groups)
    if only in (None, "verify"):
        add_verify_command(groups)
    if only in (None, "rotate"):
        add_rotate_commands(groups)
    if only in (None, "completion"):
        add_completion_command(groups)
    if only is None or only in AGENT_GROUPS:
        add_agent_commands(groups)
    return parser


def command_parsers(
    parser: argparse.ArgumentParser | None = None,
) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Each command's own parser, by the words that name it: ``("secrets", "set")``, ``("play",)``.

    For whatever offers the same commands another way (the invoke tasks).
    """
    found: dict[tuple[str, ...], argparse.ArgumentParser] = {}

    def walk(current: argparse.ArgumentParser, words: tuple[str, ...]) -> None:
        subparsers = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if not subparsers:
            found[words] = current
        for action in subparsers:
            for name, child in action.choices.items():
                walk(child, (*words, name))

    walk(build_parser() if parser is None else parser, ())
    return found
