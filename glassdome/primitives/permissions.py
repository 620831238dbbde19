"""StrictModes for the store: refuse a home or store file that others could replace.

Like OpenSSH's StrictModes: a folder or file writable by group or others, or owned
by another user than the effective uid, lets someone else swap the store, the key
file or the backend marker, so glassdome refuses to use it. A store file that is a
symbolic link is refused too (whoever can point it can point it anywhere).
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Iterable
from pathlib import Path

from glassdome.errors import InsecurePermissions

__all__ = ["check_private", "path_problem", "permission_problems"]


def path_problem(path: Path, *, folder: bool) -> str | None:
    """Why others could replace *path* (a folder, or a file that must not be a link), or None."""
    try:
        # The home folder may be a link to the real folder (its target is judged);
        # a file in it may not.
        info = path.stat() if folder else path.lstat()
    except FileNotFoundError:
        return None
    quoted = shlex.quote(str(path))
    if stat.S_ISLNK(info.st_mode):
        return f"{path} is a symbolic link; replace it with the file it points to"
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return (
            f"{path} is owned by uid {info.st_uid}, not by you (uid {os.geteuid()}); "
            f"run `chown {os.geteuid()} {quoted}` if it is yours"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{path} is writable by group or others (mode {mode:04o}); run `chmod go-w {quoted}`"
    return None


def permission_problems(home: Path, names: Iterable[str]) -> list[str]:
    """One line per path (the home folder, then *names* in it) that others could replace."""
    found = [path_problem(home, folder=True)]
    found.extend(path_problem(home / name, folder=False) for name in names)
    return [line for line in found if line is not None]


def check_private(home: Path, names: Iterable[str]) -> None:
    """Raise `InsecurePermissions` for the first path that others could replace."""
    problems = permission_problems(home, names)
    if problems:
        raise InsecurePermissions(
            f"refusing to use the store: {problems[0]}"
            + (f" ({len(problems) - 1} more path(s) too)" if len(problems) > 1 else "")
        )
