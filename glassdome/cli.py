"""`glassdome ...`: parse with the command table, call one command, return its exit code.

The work is in glassdome.commands; the options are in `glassdome.parser`. The invoke
tasks and the scripts run through `main` too, so every way in parses the same
options and ends at the same error boundary (`glassdome.boundary.guarded`).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from glassdome.boundary import guarded
from glassdome.commands.setup import run_all, run_wizard
from glassdome.parser import GROUPS, build_parser, command_parsers
from glassdome.parser.runs import setup_argv
from glassdome.primitives.hardening import disable_core_dumps

if TYPE_CHECKING:
    from glassdome.ui.console import Terminal
    from glassdome.ui.redact import Redactor

__all__ = ["build_parser", "command_parsers", "main", "run"]


def _dispatch(args: argparse.Namespace, term: Terminal, redactor: Redactor) -> int:
    if args.group == "completion":  # the whole tree, whichever group was parsed
        from glassdome.commands.completion import print_completion

        return print_completion(term, build_parser(), args.shell)
    from glassdome.core.secrets import get_secrets_manager

    get_secrets_manager(prompt=term)  # the store asks for its password on this terminal
    if args.group == "secrets":
        return _dispatch_secrets(args, term)
    if args.group in ("unlock", "lock", "agent"):
        from glassdome.commands.agent import run_agent_command

        return run_agent_command(args, term)
    if args.group == "verify":
        from glassdome.commands.verify import verify

        return verify(term, redactor, args.names, as_json=args.json)
    if args.group == "rotate":
        from glassdome.commands.rotate import run_rotation

        return run_rotation(
            term,
            redactor,
            args.command,
            instance=getattr(args, "instance", None),
            check=args.check,
            answers=args.answers,
            sets=args.sets,
            as_json=args.json,
            no_input=args.no_input,
        )
    # The playbook engine is imported only by the commands that use it.
    if args.group == "playbook":
        from glassdome.commands import play as playbooks

        if args.command == "schema":
            return playbooks.print_schema(term)
        if args.command == "validate":
            return playbooks.validate(term, args.playbook)
        return playbooks.list_playbooks(term, args.folder)
    options = {
        "check": args.check,
        "answers": args.answers,
        "sets": args.sets,
        "as_json": args.json,
        "no_input": args.no_input,
        "no_verify": args.no_verify,
    }
    if args.group == "setup" and args.command == "all":
        return run_all(term, redactor, args.include, choose=args.choose, **options)
    options.update(
        tags=args.tags,
        skip_tags=args.skip_tags,
        start_at=args.start_at,
        list_steps=args.list_steps,
    )
    if args.group == "setup":
        return run_wizard(term, redactor, args.command, **options)
    from glassdome.commands.play import play

    return play(term, redactor, args.playbook, **options)


def _dispatch_secrets(args: argparse.Namespace, term: Terminal) -> int:
    # Each command's module is imported only when it runs: `secrets get` stays fast.
    if args.command == "migrate":
        from glassdome.commands.migrate import migrate
        from glassdome.primitives.envfile import env_file_path

        return migrate(
            term,
            env_file=args.env_file or env_file_path(),
            dry_run=args.dry_run,
            scrub=args.scrub,
            overwrite=args.overwrite,
            confirm=args.confirm and term.interactive,
            as_json=args.json,
        )
    if args.command == "import":
        from glassdome.commands.import_vault import import_ansible_vault

        return import_ansible_vault(
            term,
            args.file,
            password_files=args.vault_password_files,
            vault_ids=args.vault_ids,
            maps=args.maps,
            dry_run=args.dry_run,
            overwrite=args.overwrite,
            as_json=args.json,
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
            as_json=args.json,
        )
    if args.command == "show" or (args.command == "list" and args.long):
        from glassdome.commands import meta

        if args.command == "show":
            return meta.show_secret(term, args.name, as_json=args.json)
        return meta.list_long(term, as_json=args.json)
    if args.command == "doctor":
        from glassdome.commands.doctor import doctor

        return doctor(term, env_file=args.env_file, as_json=args.json)
    if args.command == "inject":
        from glassdome.commands.inject import inject

        return inject(term, args.template, output=args.output, force=args.force)
    from glassdome.commands import secrets as cmd

    handlers: dict[str, Callable[[], int]] = {
        "set": lambda: cmd.set_secret(term, args.name, value=args.value, from_file=args.from_file),
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
            mapped_only=args.mapped_only,
        ),
    }
    return handlers[args.command]()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (each error's `exit_code`; 0 when all went well)."""
    args = setup_argv(list(sys.argv[1:] if argv is None else argv))
    # Building every sub-command's parser is a noticeable share of a `secrets get`:
    # build only the group asked for (all of them for --help and mistakes).
    only = args[0] if args and args[0] in GROUPS else None
    disable_core_dumps()  # before anything reads a secret: no core dump holds one
    return guarded(
        lambda term, redactor: _dispatch(build_parser(only).parse_args(args), term, redactor)
    )


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
