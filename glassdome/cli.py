"""`glassdome ...`: argument parsing and error rendering only; the work is in glassdome.commands."""

from __future__ import annotations

import argparse
import gc
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from glassdome import __version__
from glassdome.errors import GlassdomeError, UsageError, debug_enabled

__all__ = ["build_parser", "guarded", "main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
# argparse shows the refused word with %r: single- or double-quoted, backslash-escaped.
_QUOTED_REFUSAL = re.compile(
    r"""(invalid (?:choice|[\w ]+ value)): (?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
)


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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command tree; with *only*, just that command group (a faster start-up)."""
    parser = _Parser(
        prog="glassdome",
        description="Provision lab infrastructure with credentials kept in a secret store.",
    )
    parser.add_argument("--version", action="version", version=f"glassdome {__version__}")
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", parser_class=_Parser)
    groups.required = True

    if only not in (None, "secrets"):
        _add_playbook_commands(groups)
        return parser
    secrets = groups.add_parser(
        "secrets",
        help="manage the secret store",
        description="Store, read and manage secrets in the OS keyring or the encrypted file.",
    )
    commands = secrets.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    p = commands.add_parser("set", help="store a secret (hidden prompt, stdin, or --from-file)")
    p.add_argument("name", help="secret name, e.g. proxmox_password")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--value", help="the value itself (lands in shell history and `ps`: avoid)")
    source.add_argument("--from-file", type=Path, metavar="PATH", help="read the value from a file")

    p = commands.add_parser("get", help="print a secret's value on stdout")
    p.add_argument("name")

    p = commands.add_parser("list", help="list stored secret names (never values)")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = commands.add_parser("delete", help="delete a secret")
    p.add_argument("name")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    p = commands.add_parser("migrate", help="move the known secrets from .env into the store")
    p.add_argument("--env-file", type=Path, default=None, metavar="PATH", help="default: ./.env")
    p.add_argument(
        "--dry-run", action="store_true", help="show what would be stored, store nothing"
    )
    p.add_argument(
        "--scrub",
        action="store_true",
        help="after storing and reading back, remove the secrets from .env (saved to .env.bak)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace stored values that differ from .env"
    )

    p = commands.add_parser(
        "copy",
        help="copy secrets between backends (e.g. file -> vault), verifying each",
        description="Copy secrets from one backend to another and read each back; "
        "nothing is deleted from the source.",
    )
    p.add_argument("--from", dest="source", required=True, metavar="BACKEND", help="e.g. file")
    p.add_argument("--to", dest="target", required=True, metavar="BACKEND", help="e.g. vault")
    p.add_argument("--only", type=_only, default=[], metavar="A,B", help="only these secrets")
    p.add_argument(
        "--dry-run", action="store_true", help="show what would be copied; write nothing"
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace target values that differ from the source"
    )

    p = commands.add_parser("passwd", help="change the encrypted file's master password")
    p.add_argument(
        "--new-password-file", type=Path, metavar="PATH", help="read the new password from a file"
    )

    p = commands.add_parser("doctor", help="check the store and look for plaintext secrets")
    p.add_argument("--env-file", type=Path, default=None, metavar="PATH")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = commands.add_parser(
        "exec",
        help="run a command with secrets in its environment",
        description="Run COMMAND with secrets as UPPER_CASE environment variables.",
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

    if only is None:
        _add_playbook_commands(groups)
    return parser


def _add_playbook_commands(groups: Any) -> None:
    p = groups.add_parser(
        "play",
        help="run a playbook",
        description="Run a YAML playbook: validate it, resolve its inputs, run its steps.",
    )
    p.add_argument("playbook", type=Path, help="e.g. playbooks/setup/proxmox.yml")
    p.add_argument("--check", action="store_true", help="say what would change; change nothing")
    p.add_argument("--answers", type=Path, metavar="FILE", help="a YAML file of input values")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an input's value (repeatable; beats GLASSDOME_INPUT_NAME and --answers)",
    )
    p.add_argument(
        "--tags", type=_only, default=[], metavar="A,B", help="only steps with these tags"
    )
    p.add_argument("--skip-tags", type=_only, default=[], metavar="A,B", help="skip these tags")
    p.add_argument("--start-at", metavar="ID", help="skip the steps before this one")
    p.add_argument("--list-steps", action="store_true", help="list the steps and exit")
    p.add_argument("--json", action="store_true", help="JSON Lines events on stdout")
    p.add_argument("--no-input", action="store_true", help="never prompt; missing inputs: exit 3")
    p.add_argument(
        "--no-verify", action="store_true", help="store credentials without verifying them first"
    )

    playbook = groups.add_parser("playbook", help="inspect playbooks")
    commands = playbook.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    commands.add_parser("schema", help="print the JSON Schema of playbook files")
    p = commands.add_parser("validate", help="validate a playbook without running it")
    p.add_argument("playbook", type=Path)
    p = commands.add_parser("list", help="list the playbooks under a folder")
    p.add_argument("folder", type=Path, nargs="?", default=Path("playbooks"))


def _dispatch(args: argparse.Namespace) -> int:
    from glassdome.core.secrets import get_secrets_manager
    from glassdome.ui.console import Terminal

    term = Terminal()
    get_secrets_manager(prompt=term)  # the store asks for its password on this terminal
    if args.group == "secrets":
        from glassdome.commands import secrets as cmd

        handlers: dict[str, Callable[[], int]] = {
            "set": lambda: cmd.set_secret(
                term, args.name, value=args.value, from_file=args.from_file
            ),
            "get": lambda: cmd.get_secret(term, args.name),
            "list": lambda: cmd.list_secrets(term, as_json=args.json),
            "delete": lambda: cmd.delete_secret(term, args.name, yes=args.yes),
            "passwd": lambda: cmd.change_password(term, new_password_file=args.new_password_file),
            "exec": lambda: cmd.exec_with_secrets(
                term,
                args.argv[1:] if args.argv[:1] == ["--"] else args.argv,
                only=args.only,
                env_mappings=args.env_mappings,
                pass_store_credentials=args.pass_store_credentials,
            ),
        }
        if args.command == "migrate":
            from glassdome.commands.migrate import migrate
            from glassdome.primitives.envfile import env_file_path

            return migrate(
                term,
                env_file=args.env_file or env_file_path(),
                dry_run=args.dry_run,
                scrub=args.scrub,
                overwrite=args.overwrite,
            )
        if args.command == "copy":
            from glassdome.commands.copy import copy_secrets

            return copy_secrets(
                term,
                args.source,
                args.target,
                only=args.only,
                dry_run=args.dry_run,
                overwrite=args.overwrite,
            )
        if args.command == "doctor":
            from glassdome.commands.doctor import doctor

            return doctor(term, env_file=args.env_file, as_json=args.json)
        return handlers[args.command]()
    if args.group == "play":
        from glassdome.commands.play import play

        return play(
            term,
            args.playbook,
            check=args.check,
            answers=args.answers,
            sets=args.sets,
            tags=args.tags,
            skip_tags=args.skip_tags,
            start_at=args.start_at,
            list_steps=args.list_steps,
            as_json=args.json,
            no_input=args.no_input,
            no_verify=args.no_verify,
        )
    if args.group == "playbook":
        from glassdome.commands import play as playbooks

        if args.command == "schema":
            return playbooks.print_schema(term)
        if args.command == "validate":
            return playbooks.validate(term, args.playbook)
        return playbooks.list_playbooks(term, args.folder)
    raise UsageError(f"unknown command {args.group!r}")  # pragma: no cover - argparse refuses it


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 failure, 2 usage error)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Building every sub-command's parser is a noticeable share of a `secrets get`:
    # build only the group asked for (all of them for --help and mistakes).
    only = args[0] if args and args[0] in ("secrets", "play", "playbook") else None
    # Before anything reads a secret: no core dump of this process holds one.
    from glassdome.primitives.hardening import disable_core_dumps

    disable_core_dumps()
    return guarded(lambda: _dispatch(build_parser(only).parse_args(args)))


def guarded(action: Callable[[], int]) -> int:
    """Run *action* the way every glassdome command runs: errors as one line and an exit code.

    ``GLASSDOME_DEBUG=1`` adds the traceback; the exit code stays 1 or 2 either way.
    """
    debug = debug_enabled()
    try:
        return action()
    except UsageError as exc:
        print(f"glassdome: error: {exc}", file=sys.stderr)
        if debug:
            _print_traceback()
        return EXIT_USAGE
    except GlassdomeError as exc:
        print(f"glassdome: error: {exc}", file=sys.stderr)
        if debug:
            _print_traceback()
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("glassdome: interrupted; nothing more was changed", file=sys.stderr)
        return 130
    except OSError as exc:
        # Disk full, permission denied, a symlink refused (O_NOFOLLOW): the file and the
        # cause, not a traceback.
        print(f"glassdome: error: {_describe_os_error(exc)}", file=sys.stderr)
        if debug:
            _print_traceback()
        return EXIT_FAILURE
    except RecursionError:
        print(
            "glassdome: error: the input is nested too deeply to process (RecursionError); "
            "GLASSDOME_DEBUG=1 shows where",
            file=sys.stderr,
        )
        if debug:
            _print_traceback()
        return EXIT_FAILURE


def _describe_os_error(exc: OSError) -> str:
    """``PATH: cause (ERRNO)`` on one line, e.g. ``/x/secrets.lock: Too many ... (ELOOP)``."""
    import errno

    cause = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno is not None and exc.errno in errno.errorcode:
        cause = f"{cause} ({errno.errorcode[exc.errno]})"
    if exc.filename is None:
        return f"{cause} (the file was not named; GLASSDOME_DEBUG=1 shows where)"
    where = str(exc.filename)
    if exc.filename2 is not None:
        where = f"{where} -> {exc.filename2}"
    return f"{where}: {cause}"


def _print_traceback() -> None:
    import traceback

    traceback.print_exc()  # not `raise`: the exit code must stay 1 or 2


def run() -> None:
    """Console-script entry point."""
    # A command is a short process that allocates heavily while it imports (pydantic
    # builds validators, Rich its styles) and makes little cyclic garbage: collecting
    # every 700 allocations costs it ~10 ms for nothing. Cycles are still collected.
    gc.set_threshold(50_000)
    code = main()
    # Everything is written by now. Freezing spares the interpreter's final collection
    # over every live object (tens of ms with pydantic loaded); memory goes back to the
    # OS either way, and atexit handlers and stream flushing still run.
    gc.freeze()
    sys.exit(code)
