"""The keyring's change mark: a file every glassdome keyring write gives a new random value.

Keyrings tell no one that an entry changed. The unlock agent caches values it read
from the keyring; it compares the mark before it answers from that cache, so a write
by any glassdome process, through the agent or not, is seen at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from glassdome.errors import SecretStoreError

__all__ = ["CHANGE_FILE", "read_change_mark", "write_change_mark"]

CHANGE_FILE = "keyring.changed"  # beside keyring.lock in the glassdome folder
_MARK_BYTES = 8


def write_change_mark(path: Path) -> None:
    """Give *path* a new random mark; SecretStoreError (saying what it means) if it fails."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
        try:
            os.write(fd, os.urandom(_MARK_BYTES).hex().encode())
        finally:
            os.close(fd)
    except OSError as exc:  # the keyring write itself is done; say what the agent misses
        raise SecretStoreError(
            f"stored in the OS keyring, but {path} could not be written ({exc.strerror}); "
            "a running unlock agent may serve the old value until `glassdome lock`"
        ) from None


def read_change_mark(path: Path) -> bytes:
    """The mark in *path*; b"" when there is none or it cannot be read."""
    try:
        return path.read_bytes()[: 4 * _MARK_BYTES]
    except OSError:
        return b""
