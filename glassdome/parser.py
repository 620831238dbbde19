"""The command table: every `glassdome` command, its options and their help, defined once.

`glassdome.cli` parses with it; the invoke tasks (tasks.py) are made from it
(`command_parsers`), so an option, its help and its parsing exist in one place.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from glassdome import __version__
from glassdome.commands.rotate import ROTATIONS
from glassdome.commands.setup import TITLES
from glassdome.errors import UsageError

__all__ = ["GROUPS", "build_parser", "command_parsers"]

# argparse shows the refused word with %r: single- or double-quoted, backslash-escaped.
_QUOTED_REFUSAL = re.compile(
    r"""(invalid (?:choice|[\w ]+ value)): (?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
)
GROUPS = (
    "secrets",
    "play",
    "playbook",
    "setup",
    "verify",
    "rotate",
)  # the first words of every command


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command tree; with *only*, just that command group (a faster start-up)."""
    parser = _Parser(
        prog="glassdome",
        description="Provision lab infrastructure with credentials kept in a secret store.",
    )
    parser.add_argument("--version", action="version", version=f"glassdome {__version__}")
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", parser_class=_Parser)
    groups.required = True
    if only in (None, "secrets"):
        _add_secrets_commands(groups)
    if only not in ("secrets", "verify", "rotate"):
        _add_playbook_commands(groups)
    if only in (None, "verify"):
        _add_verify_command(groups)
    if only in (None, "rotate"):
        _add_rotate_commands(groups)
    return parser


def _add_rotate_commands(groups: Any) -> None:
    rotate = groups.add_parser(
        "rotate", help="replace a stored credential with a new one (playbooks/rotate/)"
    )
    commands = rotate.add_subparsers(dest="command", metavar="PLATFORM", parser_class=_Parser)
    commands.required = True
    for name, what in ROTATIONS.items():
        p = _command(
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


def _add_verify_command(groups: Any) -> None:
    p = _command(
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


def _add_secrets_commands(groups: Any) -> None:
    secrets = groups.add_parser(
        "secrets",
        help="manage the secret store",
        description="Store, read and manage secrets in the OS keyring or the encrypted file.",
    )
    commands = secrets.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    name_help = "secret name, e.g. proxmox_password"
    env_file = "the .env file (default: $GLASSDOME_ENV_FILE or ./.env)"

    p = _command(
        commands,
        "set",
        "Store a secret: hidden prompt on a terminal, stdin when piped, or --from-file.",
        help="store a secret (hidden prompt, stdin, or --from-file)",
    )
    p.add_argument("name", help=name_help)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--value", help="the value itself (lands in shell history and `ps`: avoid)")
    source.add_argument(
        "--from-file",
        type=Path,
        metavar="PATH",
        help="read the value from this file (one trailing newline is dropped)",
    )

    p = _command(
        commands,
        "get",
        "Print a secret's value on stdout (for scripts).",
        help="print a secret's value on stdout",
    )
    p.add_argument("name", help=name_help)

    p = _command(
        commands,
        "list",
        "List the stored secret names (never values) and the backend holding them.",
        help="list stored secret names (never values)",
    )
    _flag(p, "--json", help="machine-readable output")
    _flag(p, "-l", "--long", help="add platform, identity and dates (with --json: the records)")

    p = _command(
        commands,
        "show",
        "Show where a secret came from, what it is for and when it expires; never its value.",
        help="show a secret's metadata (never its value)",
    )
    p.add_argument("name", help=name_help)
    _flag(p, "--json", help="machine-readable output")

    p = _command(
        commands,
        "delete",
        "Delete a secret (asks first on a terminal; needs --yes without one).",
        help="delete a secret",
    )
    p.add_argument("name", help=name_help)
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    p = _command(
        commands,
        "migrate",
        "Move the known secrets from .env into the secret store, in one batch.",
        help="move the known secrets from .env into the store",
    )
    p.add_argument("--env-file", type=Path, default=None, metavar="PATH", help=env_file)
    _flag(p, "--dry-run", help="show what would be stored, store nothing")
    _flag(
        p,
        "--scrub",
        help="after storing and reading back, remove the secrets from .env (saved to .env.bak)",
    )
    _flag(p, "--overwrite", help="replace stored values that differ from .env")
    _flag(p, "--confirm", help="on a terminal, ask before storing anything")

    p = _command(
        commands,
        "copy",
        "Copy secrets from one backend to another and read each back; "
        "nothing is deleted from the source.",
        help="copy secrets between backends (e.g. file -> vault), verifying each",
    )
    p.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="BACKEND",
        help="the backend to read from, e.g. file",
    )
    p.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="BACKEND",
        help="the backend to write to, e.g. vault",
    )
    p.add_argument(
        "--only", type=_only, default=[], metavar="A,B", help="only these secrets (comma-separated)"
    )
    _flag(p, "--dry-run", help="show what would be copied; write nothing")
    _flag(p, "--overwrite", help="replace target values that differ from the source")

    p = _command(
        commands,
        "passwd",
        "Change the encrypted file's master password (the data key is rotated too).",
        help="change the encrypted file's master password",
    )
    p.add_argument(
        "--new-password-file", type=Path, metavar="PATH", help="read the new password from a file"
    )

    p = _command(
        commands,
        "doctor",
        "Check the store (backend, permissions, KDF) and look for plaintext secrets.",
        help="check the store and look for plaintext secrets",
    )
    p.add_argument("--env-file", type=Path, default=None, metavar="PATH", help=env_file)
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = _command(
        commands,
        "exec",
        "Run COMMAND with secrets as UPPER_CASE environment variables.",
        help="run a command with secrets in its environment",
    )
    p.add_argument("--only", type=_only, default=[], metavar="A,B", help="only these secrets")
    p.add_argument(
        "--env",
        dest="env_mappings",
        action="append",
        default=[],
        metavar="VAR=SECRET",
        help="hand the secret SECRET over as VAR (repeatable); "
        "PATH, LD_*, PYTHON* and the like are always refused",
    )
    p.add_argument(
        "--pass-store-credentials",
        action="store_true",
        help="let COMMAND inherit GLASSDOME_MASTER_PASSWORD*, VAULT_TOKEN and VAULT_SECRET_ID",
    )
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")


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
            type=_only,
            default=[],
            metavar="A,B",
            help="only steps with these tags (comma-separated)",
        )
        p.add_argument(
            "--skip-tags",
            type=_only,
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


def _add_playbook_commands(groups: Any) -> None:
    p = _command(
        groups,
        "play",
        "Run a YAML playbook: validate it, resolve its inputs, run its steps.",
        help="run a playbook",
    )
    p.add_argument(
        "playbook", type=Path, help="the playbook file, e.g. playbooks/setup/proxmox.yml"
    )
    _add_run_options(p)

    playbook = groups.add_parser("playbook", help="inspect playbooks")
    commands = playbook.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    _command(
        commands,
        "schema",
        "Print the JSON Schema of playbook files (for editors).",
        help="print the JSON Schema of playbook files",
    )
    p = _command(
        commands,
        "validate",
        "Validate a playbook without running it (every problem as file:line:column).",
        help="validate a playbook without running it",
    )
    p.add_argument("playbook", type=Path, help="the playbook file to validate")
    p = _command(
        commands,
        "list",
        "List the playbooks under a folder with their descriptions.",
        help="list the playbooks under a folder",
    )
    p.add_argument(
        "folder", type=Path, nargs="?", default=Path("playbooks"), help="default: playbooks"
    )

    setup = groups.add_parser("setup", help="run the setup wizards (playbooks/setup/)")
    wizards = setup.add_subparsers(dest="command", metavar="WIZARD", parser_class=_Parser)
    wizards.required = True
    for name, title in TITLES.items():
        p = _command(
            wizards,
            name,
            f"Set up {title}: ask, verify against the platform, store the credential.",
            help=f"set up {title}",
        )
        _add_run_options(p)
    p = _command(
        wizards,
        "all",
        "Run the setup wizards in turn (asking which on a terminal); stop at the first failure.",
        help="run several wizards in turn",
    )
    p.add_argument(
        "--include", type=_only, default=[], metavar="A,B", help="wizards to run, e.g. proxmox,aws"
    )
    _add_run_options(p, steps=False)


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
