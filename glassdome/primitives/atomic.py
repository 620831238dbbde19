"""Crash-safe file replacement: temp file in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import contextlib
import glob
import os
from pathlib import Path

__all__ = [
    "atomic_write",
    "ensure_private_dir",
    "exclusive_create",
    "fsync_dir",
    "remove_stale_temps",
    "stale_temps",
]

_TEMP_SUFFIX = ".tmp"


def ensure_private_dir(path: Path) -> None:
    """Create *path* and every missing parent with mode 0700; leave existing folders alone.

    ``mkdir(parents=True, mode=...)`` gives intermediate folders the umask's mode (0777
    under umask 000), so each missing level is made here, top down, and chmod'ed 0700
    (the umask can only remove bits from the mode given to mkdir).
    """
    if path.is_dir():
        return
    missing: list[Path] = []
    level = path
    while not level.exists() and level != level.parent:
        missing.append(level)
        level = level.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made by someone else meanwhile: not ours to chmod
        folder.chmod(0o700)


def fsync_dir(path: Path) -> None:
    """Make a rename inside *path* durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise _with_path(exc, path) from exc
    finally:
        os.close(fd)


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.urandom(6).hex()}{_TEMP_SUFFIX}")


def _write_new(path: Path, data: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_previous(path: Path, backup: Path, mode: int) -> None:
    """Make *backup* the current contents of *path*, atomically, without copying when possible."""
    staged = _temp_path(backup)
    try:
        os.link(path, staged)
    except OSError:  # file systems without hard links: copy instead
        _write_new(staged, path.read_bytes(), mode)
    try:
        staged.replace(backup)
    finally:
        # rename() between two links to the same file does nothing and leaves *staged*
        # (after a crash between backing up and replacing, backup and path are one file).
        staged.unlink(missing_ok=True)


def atomic_write(
    path: Path, data: bytes, *, mode: int | None = 0o600, backup: Path | None = None
) -> None:
    """Replace *path* with *data* so that a crash leaves either the old or the new file.

    The new file is created with *mode* (``None`` keeps the current file's mode,
    or 0600 for a new file). With *backup*, the previous contents are kept there.
    """
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o600
    temp = _temp_path(path)
    try:
        # The temp file is 0600 whatever the final mode: it may be all a reader
        # finds of a half-done write, and what it holds may be plaintext secrets.
        _write_new(temp, data, 0o600)
        if mode != 0o600:
            temp.chmod(mode)
        if backup is not None and path.exists():
            _keep_previous(path, backup, mode)
        temp.replace(path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        if exc.filename is not None:
            raise
        raise _with_path(exc, path) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _with_path(error: OSError, path: Path) -> OSError:
    """*error* again, naming *path* (os.write and os.fsync name no file)."""
    return OSError(error.errno, error.strerror, str(path))


def remove_stale_temps(path: Path) -> None:
    """Remove temp files a killed writer of *path* (or its backup) left behind.

    Call only while holding the lock that serializes writers of *path*.
    """
    for stale in stale_temps(path):
        stale.unlink(missing_ok=True)


def stale_temps(path: Path) -> list[Path]:
    """The temp files of *path* (or its backup) that a writer left, e.g. when it was killed."""
    return sorted(path.parent.glob(f".{glob.escape(path.name)}*{_TEMP_SUFFIX}"))


def exclusive_create(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Create *path* holding *data* unless it exists; return whether this call created it.

    The file appears complete or not at all: *data* goes to a fsynced temp file
    that is hard-linked to *path* (``link`` fails when *path* exists, as
    ``O_EXCL`` does). Where hard links are not supported, ``O_CREAT | O_EXCL``.
    """
    temp = _temp_path(path)
    try:
        _write_new(temp, data, mode)
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        except OSError:  # no hard links here (some network or FAT file systems)
            try:
                _write_new(path, data, mode)
            except FileExistsError:
                return False
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    fsync_dir(path.parent)
    return True
