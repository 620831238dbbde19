"""The commands that run playbooks: play, playbook, setup, verify and rotate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from glassdome.commands.rotate import ROTATIONS
from glassdome.commands.setup import TITLES
from glassdome.parser.base import Parser, command, only

__all__ = [
    "add_playbook_commands",
    "add_rotate_commands",
    "add_verify_command",
    "setup_argv",
]


def _add_run_options(
    p: argparse.ArgumentParser, *, steps: bool = True, verify: bool = True
) -> None:
    """The options of a playbook run; with *steps*, those that choose which steps run."""
    p.add_argument("--check", action="store_true", help="say what would change; change nothing")
    p.add_argument(
        "--answers",
        type=Path,
        metavar="FILE",
        help="a YAML file of input values (for CI and for rebuilding a lab)",
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an input's value (repeatable; beats GLASSDOME_INPUT_NAME and --answers)",
    )
    if steps:
        p.add_argument(
            "--tags",
            type=only,
            default=[],
            metavar="A,B",
            help="only steps with these tags (comma-separated)",
        )
        p.add_argument(
            "--skip-tags",
            type=only,
            default=[],
            metavar="A,B",
            help="skip steps with these tags (comma-separated)",
        )
        p.add_argument("--start-at", metavar="ID", help="skip the steps before this step id")
        p.add_argument("--list-steps", action="store_true", help="list the steps and exit")
    p.add_argument("--json", action="store_true", help="JSON Lines events on stdout")
    p.add_argument("--no-input", action="store_true", help="never prompt; missing inputs: exit 3")
    if not verify:  # a rotation always verifies the new credential
        return
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="store credentials without verifying them against the platform",
    )


def add_playbook_commands(groups: Any) -> None:
    """``play``, ``playbook schema|validate|list`` and ``setup NAME|all``."""
    p = command(
        groups,
        "play",
        "Run a YAML playbook: validate it, resolve its inputs, run its steps.",
        help="run a playbook",
    )
    p.add_argument(
        "playbook",
        type=Path,
        help="the playbook file, or a built-in one by name, e.g. setup/proxmox",
    )
    _add_run_options(p)

    playbook = groups.add_parser("playbook", help="inspect playbooks")
    commands = playbook.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    command(
        commands,
        "schema",
        "Print the JSON Schema of playbook files (for editors).",
        help="print the JSON Schema of playbook files",
    )
    p = command(
        commands,
        "validate",
        "Validate a playbook without running it (every problem as file:line:column).",
        help="validate a playbook without running it",
    )
    p.add_argument("playbook", type=Path, help="the playbook file to validate, or a built-in name")
    p = command(
        commands,
        "list",
        "List the playbooks under a folder with their descriptions (without a folder: "
        "./playbooks and the built-in ones).",
        help="list the playbooks under a folder",
    )
    p.add_argument(
        "folder", type=Path, nargs="?", default=None, help="default: playbooks, and the built-in"
    )

    setup = groups.add_parser(
        "setup",
        help="run the setup wizards (playbooks/setup/)",
        usage="glassdome setup [-h] [NAME ...] [options]",
        description="Without a name: list the wizards (and ask which to run, on a terminal). "
        "With names: run those wizards in turn. Options: those of `glassdome setup all`.",
    )
    wizards = setup.add_subparsers(dest="command", metavar="WIZARD", parser_class=Parser)
    wizards.required = True
    for name, title in TITLES.items():
        p = command(
            wizards,
            name,
            f"Set up {title}: ask, verify against the platform, store the credential.",
            help=f"set up {title}",
        )
        _add_run_options(p)
    p = command(
        wizards,
        "all",
        "Run the setup wizards in turn (asking which on a terminal); stop at the first failure.",
        help="run several wizards in turn",
    )
    p.add_argument(
        "--include", type=only, default=[], metavar="A,B", help="wizards to run, e.g. proxmox,aws"
    )
    # `glassdome setup` without a name arrives here (see `setup_argv`): list, then ask.
    p.add_argument("--choose", action="store_true", help=argparse.SUPPRESS)
    _add_run_options(p, steps=False)


def setup_argv(args: list[str]) -> list[str]:
    """``setup`` without a name is ``setup all`` that lists first; several names ``--include``."""
    if args[:1] != ["setup"] or {"-h", "--help"} & set(args):
        return args
    names = []
    for word in args[1:]:
        if word.startswith("-"):
            break
        names.append(word)
    rest = args[1 + len(names) :]
    if not names:
        return ["setup", "all", "--choose", *rest]
    if len(names) > 1:
        return ["setup", "all", f"--include={','.join(names)}", *rest]
    return args


def add_verify_command(groups: Any) -> None:
    """``verify [NAME ...]``."""
    p = command(
        groups,
        "verify",
        "Check stored credentials against their platforms with the wizards' read-only checks; "
        "record the result (never a value).",
        help="check stored credentials against their platforms",
    )
    p.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="only these secrets (default: every stored one)",
    )
    p.add_argument("--json", action="store_true", help="JSON Lines, one object per credential")


def add_rotate_commands(groups: Any) -> None:
    """``rotate PLATFORM``: one command per built-in rotation playbook."""
    rotate = groups.add_parser(
        "rotate", help="replace a stored credential with a new one (playbooks/rotate/)"
    )
    commands = rotate.add_subparsers(dest="command", metavar="PLATFORM", parser_class=Parser)
    commands.required = True
    for name, what in ROTATIONS.items():
        p = command(
            commands,
            name,
            f"Rotate {what}: create, verify alone, store, revoke the old one, record.",
            help=f"rotate {what.split(' (')[0]}",
        )
        if name == "proxmox":
            p.add_argument(
                "--instance", metavar="NN", help="a numbered instance (02, 03, ...); default: main"
            )
        _add_run_options(p, steps=False, verify=False)
