"""Invoke tasks: `invoke test`, `invoke lint`, and glassdome's own commands.

`secrets.*`, `playbook.*`, `setup.*`, `rotate.*` and `verify` are made from the CLI's parser
(`glassdome.parser.command_parsers`): each option, its help and its parsing are defined
once, there, and each task runs `glassdome.cli.main` with the same words, so it
prints the same one-line errors and ends with the same exit codes.
"""

from __future__ import annotations

import argparse
import inspect
import keyword
import os
import re
import shutil
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from invoke import Collection, Context, Exit, Task, task

from glassdome.cli import main
from glassdome.commands.rotate import ROTATIONS
from glassdome.commands.setup import WIZARDS
from glassdome.parser import command_parsers

# Tool on PATH (or an absolute path) -> the Debian package that provides it, for the tests'
# real peers. Go and govmomi's source build the vSphere simulator the ESXi wizard's tests use.
SYSTEM_TOOLS = {
    "dbus-run-session": "dbus",
    "gnome-keyring-daemon": "gnome-keyring",
    "secret-tool": "libsecret-tools",
    "go": "golang-go",
    "zsh": "zsh",  # the completion scripts are loaded by each shell they are made for
    "tcsh": "tcsh",
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
        "workers": "test processes (default: one per core, at most 4; 1 runs in one process)",
    },
)
def test(
    c: Context, k: str = "", lint_first: bool = True, args: str = "", workers: int = 0
) -> None:
    """Install what the tests need, lint, and run the whole test suite."""
    _print_versions()
    if lint_first:
        lint(c)
    selection = f"-k {k!r}" if k else ""
    c.run(f"{sys.executable} -m pytest {_parallel(workers)} {selection} {args}", pty=False)


MAX_WORKERS = 4  # each worker starts its own peers (Secret Service, OpenBao, moto, vcsim)


def _parallel(workers: int) -> str:
    """pytest-xdist options: one worker per core up to MAX_WORKERS; none on one core.

    A worker that the session watchdog stops is not replaced: the run fails with its stacks.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    count = workers or min(MAX_WORKERS, cores or 1)
    return f"-n {count} --max-worker-restart=0" if count > 1 else ""


# invoke task -> the words of the glassdome command it runs.
COMMANDS: dict[str, dict[str, tuple[str, ...]]] = {
    "secrets": {
        name: ("secrets", name)
        for name in ("set", "get", "list", "show", "delete", "migrate", "copy", "doctor", "inject")
    },
    "playbook": {
        "run": ("play",),
        "list": ("playbook", "list"),
        "validate": ("playbook", "validate"),
    },
    "setup": {name: ("setup", name) for name in (*WIZARDS, "all")},
    "rotate": {name: ("rotate", name) for name in ROTATIONS},
    "agent": {name: ("agent", name) for name in ("status", "stop")},
}
# invoke task -> the words of the glassdome command it runs, for tasks outside a group.
TOP_COMMANDS: dict[str, tuple[str, ...]] = {name: (name,) for name in ("verify", "unlock", "lock")}


def _parameter(action: argparse.Action) -> str:
    """An option's task parameter: ``--from-file`` -> ``from_file``, ``--from`` -> ``from_``."""
    if not action.option_strings:
        return action.dest
    name = max(action.option_strings, key=len).lstrip("-").replace("-", "_")
    return f"{name}_" if keyword.iskeyword(name) else name  # invoke drops the underscore


def _command_task(name: str, words: tuple[str, ...], parser: argparse.ArgumentParser) -> Task:
    """A task taking the options of *parser*, which runs ``glassdome WORDS OPTIONS``."""
    actions = [
        action
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and action.help != argparse.SUPPRESS
    ]
    parameters = [inspect.Parameter("c", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for action in actions:
        required = action.required if action.option_strings else action.nargs is None
        if isinstance(action, argparse._StoreTrueAction):
            default: Any = False
        else:
            default = inspect.Parameter.empty if required else None
        parameters.append(
            inspect.Parameter(_parameter(action), inspect.Parameter.KEYWORD_ONLY, default=default)
        )

    def run(c: Context, **given: Any) -> None:
        argv = list(words)
        for action in actions:
            value = given[_parameter(action)]
            if not action.option_strings:
                argv += [] if value is None else [str(value)]
            elif isinstance(action, argparse._StoreTrueAction):
                argv += [action.option_strings[-1]] if value else []
            elif isinstance(action, argparse._AppendAction):
                argv += [f"{action.option_strings[-1]}={item}" for item in value or ()]
            elif value is not None:
                argv.append(f"{action.option_strings[-1]}={value}")
        code = main(argv)
        if code:
            raise Exit(code=code)

    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__doc__ = parser.description
    run.__name__ = name
    return Task(
        run,
        name=name,
        help={_parameter(action): action.help for action in actions},
        iterable=[
            _parameter(action) for action in actions if isinstance(action, argparse._AppendAction)
        ],
    )


_PARSERS = command_parsers()
ns = Collection(test, lint, system_deps)
for _group, _tasks in COMMANDS.items():
    _collection = Collection(_group)
    for _name, _words in _tasks.items():
        _collection.add_task(_command_task(_name, _words, _PARSERS[_words]))
    ns.add_collection(_collection)
for _name, _words in TOP_COMMANDS.items():
    ns.add_task(_command_task(_name, _words, _PARSERS[_words]))
