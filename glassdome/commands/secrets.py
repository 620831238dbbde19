"""`glassdome secrets ...` and `invoke secrets.*`: one function per command.

Each takes the `Terminal` it talks to and returns an exit code; failures raise
`GlassdomeError` (exit 1) or `UsageError` (exit 2). The CLI and the invoke
tasks only parse arguments and call these.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from glassdome.core.secrets import SecretsManager, get_secrets_manager
from glassdome.errors import GlassdomeError, InvalidSecretValue, UsageError
from glassdome.primitives.childenv import ENV_NAME, is_denied, is_store_credential
from glassdome.primitives.master import strip_final_newline
from glassdome.primitives.names import MAX_VALUE_BYTES, normalize_name
from glassdome.primitives.refs import PREFIX, is_reference, resolve_environment
from glassdome.primitives.sensitive import Sensitive
from glassdome.ui.console import Terminal

__all__ = [
    "change_password",
    "delete_secret",
    "exec_with_secrets",
    "get_secret",
    "list_secrets",
    "read_value",
    "set_secret",
]


# Read at most this much of a file or stdin: the largest value plus a trailing CRLF, plus one
# byte (or character) to tell that there is more. A 200 MB pipe is refused, not read.
_READ_LIMIT = MAX_VALUE_BYTES + 3


def _too_large(name: str, source: str) -> InvalidSecretValue:
    return InvalidSecretValue(
        f"the value for {name!r} on {source} is larger than the limit of {MAX_VALUE_BYTES} "
        "bytes (64 KiB); nothing was stored: store a path to a file instead"
    )


def read_value(
    term: Terminal, name: str, *, value: str | None = None, from_file: Path | None = None
) -> Sensitive:
    """Take the value to store from --value, --from-file, a hidden prompt, or piped stdin."""
    if value is not None and from_file is not None:
        raise UsageError("give the value with --value or --from-file, not both")
    if value is not None:
        term.warn(
            "--value puts the secret in your shell history and in `ps` output; "
            "prefer the hidden prompt or piping it on stdin"
        )
        return Sensitive(value)
    if from_file is not None:
        try:
            with from_file.open("rb") as file:
                content = file.read(_READ_LIMIT)
        except OSError as exc:
            raise GlassdomeError(f"cannot read {from_file}: {exc.strerror}") from None
        if len(content) >= _READ_LIMIT:
            raise _too_large(name, str(from_file))
        try:
            return Sensitive(strip_final_newline(content.decode("utf-8")))
        except UnicodeDecodeError:
            raise GlassdomeError(f"{from_file} is not UTF-8 text") from None
    if term.interactive:
        return Sensitive(term.ask_secret(f"Value for {name}"))
    if term.stdin.isatty():
        raise UsageError(
            "no value given and GLASSDOME_NO_INPUT forbids asking: pipe it on stdin "
            "or use --from-file"
        )
    # read(n) on a text stream counts characters, each at least one byte of UTF-8.
    text = term.stdin.read(_READ_LIMIT)
    if len(text) >= _READ_LIMIT:
        raise _too_large(name, "stdin")
    return Sensitive(strip_final_newline(text))


def set_secret(
    term: Terminal,
    name: str,
    *,
    value: str | None = None,
    from_file: Path | None = None,
    manager: SecretsManager | None = None,
) -> int:
    """Store one secret; the value never reaches the terminal."""
    manager = manager or get_secrets_manager(prompt=term)
    key = normalize_name(name)
    secret = read_value(term, key, value=value, from_file=from_file)
    # `secrets set` replaces a stored value on purpose: read it first, so a check-and-set
    # store (vault) writes on the version read instead of refusing a name never read.
    manager.get_secret(key)
    manager.set_secret(key, secret, source="cli")
    term.say(f"Stored [bold]{key}[/] in the {manager.backend_name} backend.")
    return 0


def get_secret(term: Terminal, name: str, *, manager: SecretsManager | None = None) -> int:
    """Print one secret's value on stdout, for scripts."""
    manager = manager or get_secrets_manager(prompt=term)
    key = normalize_name(name)
    value = manager.get_secret(key)
    if value is None:
        raise GlassdomeError(f"no secret named {key!r}; `glassdome secrets list` shows the names")
    if term.stdout_is_terminal:
        term.warn(f"printing the value of {key} on your terminal")
    term.stdout.write(value + "\n")
    term.stdout.flush()
    return 0


def list_secrets(
    term: Terminal, *, as_json: bool = False, manager: SecretsManager | None = None
) -> int:
    """Show the stored names (never values) and the backend holding them."""
    manager = manager or get_secrets_manager(prompt=term)
    names = manager.list_secrets()
    backend = manager.backend_name
    if as_json:
        term.write_json({"backend": backend, "secrets": names})
        return 0
    from rich.table import Table

    table = Table(title=f"Secrets in the {backend} backend", title_justify="left")
    table.add_column("name")
    for name in names:
        table.add_row(name)
    if names:
        term.out.print(table)
    else:
        term.say(f"No secrets stored in the {backend} backend yet.")
    return 0


def delete_secret(
    term: Terminal, name: str, *, yes: bool = False, manager: SecretsManager | None = None
) -> int:
    """Delete one secret, after confirmation on a terminal."""
    manager = manager or get_secrets_manager(prompt=term)
    key = normalize_name(name)
    if not yes:
        if not term.interactive:
            raise UsageError(f"refusing to delete {key} without a terminal to confirm: add --yes")
        if not term.confirm(
            f"Delete secret [bold]{key}[/] from the {manager.backend_name} backend?"
        ):
            term.say("Nothing deleted.")
            return 1
    if not manager.delete_secret(key):
        raise GlassdomeError(f"no secret named {key!r}; nothing deleted")
    term.say(f"Deleted [bold]{key}[/].")
    return 0


def env_name(secret_name: str) -> str:
    """The environment variable a secret is handed to a command as (``a.b-c`` -> ``A_B_C``)."""
    return re.sub(r"[.-]", "_", secret_name).upper()


def _parse_env_mappings(mappings: Sequence[str]) -> dict[str, str]:
    """``VAR=secret_name`` options as {VAR: normalised secret name}; usage errors name no value.

    ``VAR=glassdome:secret_name``, the reference form, is accepted too.
    """
    parsed: dict[str, str] = {}
    for mapping in mappings:
        variable, sep, secret = mapping.partition("=")
        if not sep or not secret:
            raise UsageError("--env takes VAR=SECRET_NAME (a secret's name, never its value)")
        if not ENV_NAME.fullmatch(variable):
            # Described, not quoted: a value typed in the wrong place must not be repeated.
            raise UsageError(
                "invalid variable name in --env: use letters, digits and '_', "
                "not starting with a digit"
            )
        if variable in parsed:
            raise UsageError(f"--env sets {variable} twice")
        # VAR=glassdome:NAME, the reference form, is the same as VAR=NAME.
        parsed[variable] = normalize_name(secret[len(PREFIX) :] if is_reference(secret) else secret)
    return parsed


def _resolve_command(term: Terminal, program: str) -> str | None:
    """*program* as an absolute path, looked up on the parent's PATH (never the child's)."""
    found = shutil.which(program, path=term.env.get("PATH", os.defpath))
    return str(Path(found).absolute()) if found is not None else None


def _child_variables(
    manager: SecretsManager, only: Sequence[str], explicit: dict[str, str]
) -> dict[str, str]:
    """Variable -> secret name for the child; a variable that loads code is refused.

    *only* (or every secret no ``--env`` maps) by its ``UPPER_CASE`` name, then the
    ``--env`` mappings.
    """
    mapped = set(explicit.values())
    if only:
        implicit = [normalize_name(n) for n in only]
    else:
        implicit = [n for n in manager.list_secrets() if n not in mapped]
    variables: dict[str, str] = {}
    for name in implicit:
        variable = env_name(name)
        if is_denied(variable):
            raise GlassdomeError(
                f"secret {name!r} would set {variable}, which changes how programs load or "
                f"run code; nothing was run (hand it over under another name: --env OTHER={name})"
            )
        variables[variable] = name
    for variable, name in explicit.items():
        if variables.get(variable, name) != name:
            raise UsageError(
                f"{variable} would be set by two secrets ({variables[variable]!r} and {name!r})"
            )
        variables[variable] = name
    return variables


def exec_with_secrets(
    term: Terminal,
    command: Sequence[str],
    *,
    only: Sequence[str] = (),
    env_mappings: Sequence[str] = (),
    pass_store_credentials: bool = False,
    mapped_only: bool = False,
    manager: SecretsManager | None = None,
) -> int:
    """Run *command* with the secrets in its environment; return its exit code.

    Secrets are handed over as ``UPPER_CASE`` variables (all of them, or *only*
    these), and as the variables *env_mappings* (``VAR=secret_name``) name; a
    secret mapped with ``--env`` is handed over under that name only. An inherited
    variable whose value is a reference (``glassdome:NAME``) gets that secret; with
    *mapped_only*, those and the ``--env`` mappings are all it gets. No secret
    ever sets a variable `glassdome.primitives.childenv` denies, and the command is
    looked up on glassdome's own PATH before any secret is added.
    """
    if not command:
        raise UsageError("nothing to run: glassdome secrets exec [--only a,b] -- COMMAND ...")
    explicit = _parse_env_mappings(env_mappings)
    for variable in explicit:
        if is_denied(variable):
            raise UsageError(
                f"--env {variable}=...: {variable} changes how programs load or run code; "
                "a secret never sets it"
            )
    if mapped_only and only:
        raise UsageError("--mapped-only hands over no secret by its own name: drop --only")
    manager = manager or get_secrets_manager(prompt=term)
    variables = dict(explicit) if mapped_only else _child_variables(manager, only, explicit)
    # Resolved before any secret is in sight: a PATH from the store cannot pick the program.
    from rich.markup import escape

    shown = escape(command[0])
    program = _resolve_command(term, command[0])
    if program is None:
        if os.sep in command[0] and Path(command[0]).exists():
            term.say(f"[red]error:[/] permission denied: {shown}")
            return 126
        term.say(f"[red]error:[/] command not found: {shown}")
        return 127
    # The command gets the secrets asked for, never the key to all of them.
    env = {
        k: v for k, v in term.env.items() if pass_store_credentials or not is_store_credential(k)
    }
    # ``glassdome:NAME`` values it inherits become the secrets they name (as `op run` does).
    env = resolve_environment(env, manager.get_secret, skip=variables)
    for variable, name in variables.items():
        value = manager.get_secret(name)
        if value is None:
            raise GlassdomeError(
                f"no secret named {name!r}; `glassdome secrets list` shows the names"
            )
        env[variable] = value
    import subprocess

    sys.stdout.flush()
    try:
        # argv[0] stays as typed (multi-call programs read it); the file run is *program*.
        completed = subprocess.run(list(command), executable=program, env=env, check=False)
    except FileNotFoundError:
        term.say(f"[red]error:[/] command not found: {shown}")
        return 127
    except PermissionError:
        term.say(f"[red]error:[/] permission denied: {shown}")
        return 126
    code = completed.returncode
    return 128 - code if code < 0 else code  # killed by signal N -> 128+N, as shells report it


def change_password(
    term: Terminal, *, new_password_file: Path | None = None, manager: SecretsManager | None = None
) -> int:
    """Change the file store's master password (a new data key re-encrypts the store)."""
    from glassdome.primitives.master import MasterPasswordSource, read_password_file

    manager = manager or get_secrets_manager(prompt=term)
    manager.require_master_password()  # before anyone types a password in vain
    source = MasterPasswordSource(env=term.env, stdin=term.stdin, prompt=term)
    old = source.get(new=False, purpose="the current store")
    new_file = new_password_file or (
        Path(term.env["GLASSDOME_NEW_MASTER_PASSWORD_FILE"])
        if term.env.get("GLASSDOME_NEW_MASTER_PASSWORD_FILE")
        else None
    )
    if new_file is not None:
        new = Sensitive(read_password_file(new_file, "--new-password-file"))
    elif term.interactive:
        new = MasterPasswordSource(env={}, stdin=term.stdin, prompt=term).get(
            new=True, purpose="the store"
        )
    else:
        raise UsageError(
            "the new master password is needed and there is no terminal to ask on: "
            "pass --new-password-file PATH (or set GLASSDOME_NEW_MASTER_PASSWORD_FILE)"
        )
    term.say(manager.change_master_password(old, new))
    term.say(
        "Master password changed. Update GLASSDOME_MASTER_PASSWORD(_FILE) wherever you set it."
    )
    return 0
