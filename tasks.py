"""Invoke tasks: `invoke test`, `invoke lint`. Thin: logic lives in the package."""

from __future__ import annotations

import os
import shutil
import sys

from invoke import Collection, Context, Exit, task

# Tool on PATH -> the Debian package that provides it, for the tests' real peers.
SYSTEM_TOOLS = {
    "dbus-run-session": "dbus",
    "gnome-keyring-daemon": "gnome-keyring",
    "secret-tool": "libsecret-tools",
}


def _missing_packages() -> list[str]:
    return sorted({pkg for tool, pkg in SYSTEM_TOOLS.items() if shutil.which(tool) is None})


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
    if lint_first:
        lint(c)
    selection = f"-k {k!r}" if k else ""
    c.run(f"{sys.executable} -m pytest {selection} {args}", pty=False)


ns = Collection(test, lint, system_deps)
