"""Invoke tasks: `invoke test`, `invoke lint`. Thin: logic lives in the package."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from invoke import Collection, Context, Exit, task

# Tool on PATH (or an absolute path) -> the Debian package that provides it, for the tests'
# real peers. Go and govmomi's source build the vSphere simulator the ESXi wizard's tests use.
SYSTEM_TOOLS = {
    "dbus-run-session": "dbus",
    "gnome-keyring-daemon": "gnome-keyring",
    "secret-tool": "libsecret-tools",
    "go": "golang-go",
    "/usr/share/gocode/src/github.com/vmware/govmomi/simulator": "golang-github-vmware-govmomi-dev",
}


def _present(tool: str) -> bool:
    return Path(tool).exists() if tool.startswith("/") else shutil.which(tool) is not None


def _missing_packages() -> list[str]:
    return sorted({pkg for tool, pkg in SYSTEM_TOOLS.items() if not _present(tool)})


@task
def system_deps(c: Context) -> None:
    """Install the Debian packages the tests need (as root), or say which to install."""
    missing = _missing_packages()
    if not missing:
        return
    command = "apt-get install -y --no-install-recommends " + " ".join(missing)
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise Exit(f"the tests need these system packages; install them with:\n  sudo {command}", 1)
    print(f"installing system packages for the tests: {' '.join(missing)}", file=sys.stderr)
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    c.run("apt-get update -qq", env=env, hide="out")
    c.run(command + " -qq", env=env, hide="out")
    still = _missing_packages()
    if still:
        raise Exit(f"still missing after apt-get: {' '.join(still)}", 1)


def _print_versions() -> None:
    """One line per direct dependency, as installed, so a failing run names what it ran on."""
    from importlib import metadata

    names: dict[str, None] = {}
    for requirement in metadata.requires("glassdome") or []:
        found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        if found and found.group().lower() != "glassdome":
            names[found.group()] = None
    print(f"python {sys.version.split()[0]} ({sys.executable})", file=sys.stderr)
    for name in names:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        print(f"{name} {version}", file=sys.stderr)
    try:
        from cryptography.hazmat.backends.openssl.backend import backend

        print(f"cryptography's {backend.openssl_version_text()}", file=sys.stderr)
    except ImportError:
        pass


@task
def lint(c: Context) -> None:
    """Run ruff (lint and format check) and mypy --strict on the package."""
    c.run(f"{sys.executable} -m ruff check .", pty=False)
    c.run(f"{sys.executable} -m ruff format --check .", pty=False)
    c.run(f"{sys.executable} -m mypy", pty=False)


@task(
    pre=[system_deps],
    help={
        "k": "only tests matching this pytest -k expression",
        "lint_first": "run `invoke lint` before the tests (default on)",
        "args": "extra arguments for pytest, e.g. '-x -vv'",
    },
)
def test(c: Context, k: str = "", lint_first: bool = True, args: str = "") -> None:
    """Install what the tests need, lint, and run the whole test suite."""
    _print_versions()
    if lint_first:
        lint(c)
    selection = f"-k {k!r}" if k else ""
    c.run(f"{sys.executable} -m pytest {selection} {args}", pty=False)


def _call(action: Callable[[], int]) -> None:
    """Run a package command exactly as the CLI does: one-line errors, exit 1 or 2."""
    from glassdome.cli import guarded

    code = guarded(action)
    if code:
        raise Exit(code=code)


def _term():
    from glassdome.ui.console import Terminal

    return Terminal()


@task(
    name="set",
    help={
        "name": "secret name, e.g. proxmox_password",
        "value": "the value itself (lands in shell history and `ps`: prefer the prompt)",
        "from_file": "read the value from this file (one trailing newline is dropped)",
    },
)
def secrets_set(c: Context, name: str, value: str | None = None, from_file: str | None = None):
    """Store a secret: hidden prompt on a terminal, stdin when piped, or --from-file."""
    from glassdome.commands import secrets

    path = Path(from_file) if from_file else None
    _call(lambda: secrets.set_secret(_term(), name, value=value, from_file=path))


@task(name="get", help={"name": "secret name"})
def secrets_get(c: Context, name: str):
    """Print a secret's value on stdout (for scripts)."""
    from glassdome.commands import secrets

    _call(lambda: secrets.get_secret(_term(), name))


@task(name="list", help={"json": "print JSON instead of a table"})
def secrets_list(c: Context, json: bool = False):
    """List the stored secret names (never values) and the backend holding them."""
    from glassdome.commands import secrets

    _call(lambda: secrets.list_secrets(_term(), as_json=json))


@task(name="delete", help={"name": "secret name", "yes": "do not ask for confirmation"})
def secrets_delete(c: Context, name: str, yes: bool = False):
    """Delete a secret (asks first on a terminal; needs --yes without one)."""
    from glassdome.commands import secrets

    _call(lambda: secrets.delete_secret(_term(), name, yes=yes))


@task(
    name="migrate",
    help={
        "env_file": "the .env file to read (default: $GLASSDOME_ENV_FILE or ./.env)",
        "dry_run": "show what would be stored; store nothing",
        "scrub": "after storing and reading back, remove the secrets from .env (kept in .env.bak)",
        "overwrite": "replace stored values that differ from .env",
    },
)
def secrets_migrate(
    c: Context,
    env_file: str | None = None,
    dry_run: bool = False,
    scrub: bool = False,
    overwrite: bool = False,
):
    """Move the known secrets from .env into the secret store."""
    from glassdome.commands.migrate import migrate
    from glassdome.primitives.envfile import env_file_path

    path = Path(env_file) if env_file else env_file_path()
    _call(
        lambda: migrate(_term(), env_file=path, dry_run=dry_run, scrub=scrub, overwrite=overwrite)
    )


@task(
    name="copy",
    help={
        "from_": "the backend to read from, e.g. file",
        "to": "the backend to write to, e.g. vault",
        "only": "only these secrets (comma-separated)",
        "dry_run": "show what would be copied; write nothing",
        "overwrite": "replace target values that differ from the source",
    },
)
def secrets_copy(
    c: Context,
    from_: str,
    to: str,
    only: str = "",
    dry_run: bool = False,
    overwrite: bool = False,
):
    """Copy secrets from one backend to another, reading each back; the source keeps them."""
    from glassdome.commands.copy import copy_secrets

    names = [part.strip() for part in only.split(",") if part.strip()]
    _call(
        lambda: copy_secrets(_term(), from_, to, only=names, dry_run=dry_run, overwrite=overwrite)
    )


@task(
    name="doctor",
    help={"env_file": "the .env file to check (default: ./.env)", "json": "print JSON"},
)
def secrets_doctor(c: Context, env_file: str | None = None, json: bool = False):
    """Check the store (backend, permissions, KDF) and look for plaintext secrets."""
    from glassdome.commands.doctor import doctor

    path = Path(env_file) if env_file else None
    _call(lambda: doctor(_term(), env_file=path, as_json=json))


@task(
    name="run",
    help={
        "playbook": "the playbook file, e.g. playbooks/setup/proxmox.yml",
        "check": "say what would change; change nothing",
        "answers": "a YAML file of input values",
        "set_": "NAME=VALUE for an input (repeatable)",
        "tags": "only steps with these tags (comma-separated)",
        "skip_tags": "skip steps with these tags (comma-separated)",
        "start_at": "skip the steps before this step id",
        "list_steps": "list the steps and exit",
        "json": "JSON Lines events on stdout",
        "no_input": "never prompt; missing inputs exit 3",
        "no_verify": "store credentials without verifying them against the platform",
    },
    iterable=["set_"],
)
def playbook_run(
    c: Context,
    playbook: str,
    check: bool = False,
    answers: str | None = None,
    set_=None,
    tags: str = "",
    skip_tags: str = "",
    start_at: str | None = None,
    list_steps: bool = False,
    json: bool = False,
    no_input: bool = False,
    no_verify: bool = False,
):
    """Run a playbook (the same as `glassdome play`)."""
    from glassdome.commands.play import play

    def split(text: str) -> list[str]:
        return [part.strip() for part in text.split(",") if part.strip()]

    _call(
        lambda: play(
            _term(),
            Path(playbook),
            check=check,
            answers=Path(answers) if answers else None,
            sets=set_ or [],
            tags=split(tags),
            skip_tags=split(skip_tags),
            start_at=start_at,
            list_steps=list_steps,
            as_json=json,
            no_input=no_input,
            no_verify=no_verify,
        )
    )


@task(name="list", help={"folder": "where to look (default: playbooks)"})
def playbook_list(c: Context, folder: str = "playbooks"):
    """List the playbooks under playbooks/ with their descriptions."""
    from glassdome.commands.play import list_playbooks

    _call(lambda: list_playbooks(_term(), Path(folder)))


@task(name="validate", help={"playbook": "the playbook file to validate"})
def playbook_validate(c: Context, playbook: str):
    """Validate a playbook without running it (every problem as file:line:column)."""
    from glassdome.commands.play import validate

    _call(lambda: validate(_term(), Path(playbook)))


_WIZARD_HELP = {
    "answers": "a YAML file of answers (for CI and for rebuilding a lab)",
    "set_": "NAME=VALUE for one answer (repeatable)",
    "no_input": "never prompt; missing answers exit 3",
    "check": "say what would change; change nothing",
    "no_verify": "store credentials without verifying them against the platform",
    "json": "JSON Lines events on stdout",
}


def _play_options(answers, set_, no_input, check, no_verify, json) -> dict:
    """The `glassdome play` options the wizard tasks pass through."""
    return {
        "answers": Path(answers) if answers else None,
        "sets": set_ or [],
        "no_input": no_input,
        "check": check,
        "no_verify": no_verify,
        "as_json": json,
    }


def _wizard_task(name: str, title: str):
    @task(name=name, help=_WIZARD_HELP, iterable=["set_"])
    def wizard(
        c: Context,
        answers: str | None = None,
        set_=None,
        no_input: bool = False,
        check: bool = False,
        no_verify: bool = False,
        json: bool = False,
    ):
        from glassdome.commands.setup import run_wizard

        options = _play_options(answers, set_, no_input, check, no_verify, json)
        _call(lambda: run_wizard(_term(), name, **options))

    wizard.__doc__ = f"Set up {title}: ask, verify against the platform, store the credential."
    wizard.body.__doc__ = wizard.__doc__
    return wizard


@task(
    name="all",
    help={**_WIZARD_HELP, "include": "wizards to run, e.g. proxmox,aws"},
    iterable=["set_"],
)
def setup_all(
    c: Context,
    include: str = "",
    answers: str | None = None,
    set_=None,
    no_input: bool = False,
    check: bool = False,
    no_verify: bool = False,
    json: bool = False,
):
    """Run the setup wizards in turn, asking which to include."""
    from glassdome.commands.setup import run_all

    options = _play_options(answers, set_, no_input, check, no_verify, json)
    _call(lambda: run_all(_term(), [n for n in include.split(",") if n.strip()], **options))


setup_tasks = Collection("setup")
for _name, _title in (
    ("proxmox", "Proxmox VE (creates an API token)"),
    ("esxi", "VMware ESXi / vCenter"),
    ("azure", "Azure (service principal)"),
    ("aws", "AWS (access key)"),
    ("ai", "the AI API keys, Mailcow and the app secret key"),
):
    setup_tasks.add_task(_wizard_task(_name, _title))
setup_tasks.add_task(setup_all)

playbook_tasks = Collection("playbook")
for _task in (playbook_run, playbook_list, playbook_validate):
    playbook_tasks.add_task(_task)

secrets_tasks = Collection("secrets")
for _task in (
    secrets_set,
    secrets_get,
    secrets_list,
    secrets_delete,
    secrets_migrate,
    secrets_copy,
    secrets_doctor,
):
    secrets_tasks.add_task(_task)

ns = Collection(test, lint, system_deps, setup_tasks, secrets_tasks, playbook_tasks)
