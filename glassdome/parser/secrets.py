"""The ``glassdome secrets ...`` commands of the command table."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from glassdome.parser.base import Parser, command, flag, only

__all__ = ["add_secrets_commands"]


def add_secrets_commands(groups: Any) -> None:
    """``secrets set|get|list|show|delete|migrate|import|copy|doctor|passwd|exec|inject``."""
    secrets = groups.add_parser(
        "secrets",
        help="manage the secret store",
        description="Store, read and manage secrets in the OS keyring or the encrypted file.",
    )
    commands = secrets.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    name_help = "secret name, e.g. proxmox_password"
    env_file = "the .env file (default: $GLASSDOME_ENV_FILE or ./.env)"

    p = command(
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

    p = command(
        commands,
        "get",
        "Print a secret's value on stdout (for scripts).",
        help="print a secret's value on stdout",
    )
    p.add_argument("name", help=name_help)

    p = command(
        commands,
        "list",
        "List the stored secret names (never values) and the backend holding them.",
        help="list stored secret names (never values)",
    )
    flag(p, "--json", help="machine-readable output")
    flag(p, "-l", "--long", help="add platform, identity and dates (with --json: the records)")

    p = command(
        commands,
        "show",
        "Show where a secret came from, what it is for and when it expires; never its value.",
        help="show a secret's metadata (never its value)",
    )
    p.add_argument("name", help=name_help)
    flag(p, "--json", help="machine-readable output")

    p = command(
        commands,
        "delete",
        "Delete a secret (asks first on a terminal; needs --yes without one).",
        help="delete a secret",
    )
    p.add_argument("name", help=name_help)
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    p = command(
        commands,
        "migrate",
        "Move the known secrets from .env into the secret store, in one batch.",
        help="move the known secrets from .env into the store",
    )
    p.add_argument("--env-file", type=Path, default=None, metavar="PATH", help=env_file)
    flag(p, "--dry-run", help="show what would be stored, store nothing")
    flag(
        p,
        "--scrub",
        help="after storing and reading back, remove the secrets from .env (saved to .env.bak)",
    )
    flag(p, "--overwrite", help="replace stored values that differ from .env")
    flag(p, "--confirm", help="on a terminal, ask before storing anything")
    flag(p, "--json", help="machine-readable report: each name's status and the counts")

    _add_import(commands)

    p = command(
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
        "--only", type=only, default=[], metavar="A,B", help="only these secrets (comma-separated)"
    )
    flag(p, "--dry-run", help="show what would be copied; write nothing")
    flag(p, "--overwrite", help="replace target values that differ from the source")
    flag(p, "--json", help="machine-readable report: each name's status and the counts")

    p = command(
        commands,
        "passwd",
        "Change the encrypted file's master password (the data key is rotated too).",
        help="change the encrypted file's master password",
    )
    p.add_argument(
        "--new-password-file", type=Path, metavar="PATH", help="read the new password from a file"
    )

    p = command(
        commands,
        "doctor",
        "Check the store (backend, permissions, KDF) and look for plaintext secrets.",
        help="check the store and look for plaintext secrets",
    )
    p.add_argument("--env-file", type=Path, default=None, metavar="PATH", help=env_file)
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = command(
        commands,
        "exec",
        "Run COMMAND with secrets as UPPER_CASE environment variables.",
        help="run a command with secrets in its environment",
    )
    p.add_argument("--only", type=only, default=[], metavar="A,B", help="only these secrets")
    p.add_argument(
        "--env",
        dest="env_mappings",
        action="append",
        default=[],
        metavar="VAR=SECRET",
        help="hand the secret SECRET (or glassdome:SECRET) over as VAR (repeatable); "
        "PATH, LD_*, PYTHON* and the like are always refused",
    )
    p.add_argument(
        "--pass-store-credentials",
        action="store_true",
        help="let COMMAND inherit GLASSDOME_MASTER_PASSWORD*, VAULT_TOKEN and VAULT_SECRET_ID",
    )
    flag(
        p,
        "--mapped-only",
        help="hand over only the --env mappings and the glassdome:NAME references in the "
        "environment, no secret under its own name",
    )
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")

    p = command(
        commands,
        "inject",
        "Render a template's {{ secret('NAME') }} calls to stdout, or to a new file made 0600.",
        help="render {{ secret('NAME') }} in a template (e.g. terraform.tfvars)",
    )
    p.add_argument(
        "-i",
        "--in",
        dest="template",
        type=Path,
        required=True,
        metavar="TEMPLATE",
        help="the template: sandboxed Jinja2 with secret('NAME') as its only function",
    )
    p.add_argument(
        "-o",
        "--out",
        dest="output",
        type=Path,
        default=None,
        metavar="FILE",
        help="write FILE (created 0600; an existing file only with --force) instead of stdout",
    )
    flag(p, "--force", help="replace FILE if it exists")


def _add_import(commands: Any) -> None:
    """``secrets import ansible-vault FILE``: the variables of an Ansible vault, stored."""
    p = command(
        commands,
        "import",
        "Store the variables of an Ansible vault file (a whole-file vault or inline !vault "
        "values), read with ansible-core's own vault code; values are never printed.",
        help="store the variables of an Ansible vault file",
    )
    p.add_argument("format", choices=["ansible-vault"], help="what FILE is: ansible-vault")
    p.add_argument("file", type=Path, metavar="FILE", help="the vault or vars file")
    p.add_argument(
        "--vault-password-file",
        dest="vault_password_files",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="a file holding the vault password, or a script printing it (repeatable); "
        "default: $ANSIBLE_VAULT_PASSWORD_FILE, else asked on a terminal",
    )
    p.add_argument(
        "--vault-id",
        dest="vault_ids",
        action="append",
        default=[],
        metavar="ID@FILE",
        help="a vault id and its password file, or ID@prompt to be asked (repeatable)",
    )
    p.add_argument(
        "--map",
        dest="maps",
        action="append",
        default=[],
        metavar="KEY=NAME",
        help="store variable KEY as secret NAME (repeatable); default: KEY lower-cased",
    )
    flag(p, "--dry-run", help="show what would be stored, store nothing")
    flag(p, "--overwrite", help="replace stored values that differ from the file")
    flag(p, "--json", help="machine-readable report")
