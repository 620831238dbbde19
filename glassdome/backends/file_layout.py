"""The encrypted file store's files: their names and size limits, capped reads, and the lock.

`StoreFiles` names every path in the store folder, reads them within their
limits, refuses a folder or file that others could replace (StrictModes), and
takes the cross-process lock that every write holds. It knows no key and no
document beyond the key file's parsed header.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassdome.backends.base import MARKER_FILE
from glassdome.errors import BackendUnavailable, SecretStoreError, StoreBusy, StoreCorrupted
from glassdome.primitives import crypto
from glassdome.primitives.atomic import ensure_private_dir
from glassdome.primitives.permissions import check_private

if TYPE_CHECKING:
    from filelock import FileLock

    from glassdome.primitives.meta import SecretMeta

__all__ = [
    "BACKUP_FILE",
    "KEY_FILE",
    "LOCK_FILE",
    "MAX_KEY_FILE_BYTES",
    "MAX_STORE_BYTES",
    "PENDING_KEY_FILE",
    "STORE_FILE",
    "StoreFiles",
    "check_store_size",
    "kdf_from_env",
    "meta_from",
    "read_capped",
]

ENV_KDF_MEMORY = "GLASSDOME_KDF_MEMORY_KIB"
ENV_KDF_ITERATIONS = "GLASSDOME_KDF_ITERATIONS"

STORE_FILE = "secrets.encrypted"
KEY_FILE = "master_key.enc"
BACKUP_FILE = "secrets.encrypted.bak"
# passwd's new key file, before it replaces KEY_FILE (see glassdome.backends.file_passwd).
PENDING_KEY_FILE = "master_key.enc.pending"
LOCK_FILE = "secrets.lock"
LOCK_TIMEOUT = 30.0
# Files larger than these are refused before they are read, so a huge or sparse file costs
# no memory. A value is at most 64 KiB of UTF-8 (names.MAX_VALUE_BYTES); in the document it
# becomes about 87 KiB (JSON, then Fernet's base64), so 128 MiB holds some 1,500 values of
# the maximum size, or hundreds of thousands of ordinary ones. Writes stay within it too.
MAX_STORE_BYTES = 128 * 1024 * 1024
# A key file is a JSON header of about 400 bytes.
MAX_KEY_FILE_BYTES = 64 * 1024


def read_capped(path: Path, limit: int) -> bytes:
    """The contents of *path*, refused as `StoreCorrupted` if larger than *limit* bytes.

    The size is checked before reading, and at most *limit* + 1 bytes are read in case
    the file grows meanwhile. A missing file raises FileNotFoundError as before.
    """
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        # read(n) allocates n bytes first: ask for what fstat saw, and more only if it grew
        # (a memory-locked process, the unlock agent, would fault in all of *limit*).
        content = b"" if size > limit else file.read(size + 1)
        if size < len(content) <= limit:
            content += file.read(limit + 1 - len(content))
    if size > limit or len(content) > limit:
        raise StoreCorrupted(
            f"{path} is larger than glassdome ever writes it ({max(size, len(content))} bytes, "
            f"the limit is {limit}); refusing to read it"
        )
    return content


def check_store_size(path: Path, raw: bytes) -> None:
    """Refuse to write a store that could not be read back."""
    if len(raw) > MAX_STORE_BYTES:
        raise SecretStoreError(
            f"{path} would be {len(raw)} bytes, above the limit of {MAX_STORE_BYTES}; "
            "nothing was changed: delete secrets you no longer need, or store paths to files"
        )


def kdf_from_env(env: Mapping[str, str]) -> crypto.KdfParams:
    """The KDF a new key file gets: ``GLASSDOME_KDF_*``, else the default."""
    memory = env.get(ENV_KDF_MEMORY)
    iterations = env.get(ENV_KDF_ITERATIONS)
    if not memory and not iterations:
        return crypto.DEFAULT_KDF
    try:
        params = crypto.KdfParams(
            memory_cost_kib=int(memory) if memory else crypto.DEFAULT_KDF.memory_cost_kib,
            iterations=int(iterations) if iterations else crypto.DEFAULT_KDF.iterations,
            lanes=crypto.DEFAULT_KDF.lanes,
        )
        return crypto.check_kdf(params)
    except ValueError as exc:
        raise BackendUnavailable(
            f"{ENV_KDF_MEMORY}/{ENV_KDF_ITERATIONS}: {exc}; unset them to use the defaults"
        ) from None


class StoreFiles:
    """The paths of one store folder, read within their limits and written under one lock."""

    def __init__(self, home: Path, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.home = Path(home)
        self.store = self.home / STORE_FILE
        self.key = self.home / KEY_FILE
        self.backup = self.home / BACKUP_FILE
        self.pending_key = self.home / PENDING_KEY_FILE
        self.lock = self.home / LOCK_FILE
        self.lock_timeout = lock_timeout
        self.permissions_checked = False
        # One lock object per store (made on the first write), so the orphan check inside a
        # write re-enters the lock it already holds instead of waiting on a second descriptor.
        self._file_lock: FileLock | None = None

    def __repr__(self) -> str:
        return f"StoreFiles(home={str(self.home)!r})"

    def all(self) -> list[Path]:
        """Every file the store may create, the store itself first."""
        return [self.store, self.key, self.backup, self.lock, self.pending_key]

    def read_store(self, path: Path | None = None) -> bytes:
        """The store (or the backup, *path*) within its size limit; FileNotFoundError if absent."""
        return read_capped(path or self.store, MAX_STORE_BYTES)

    def read_key_file(self, path: Path | None = None) -> crypto.KeyFile:
        """The parsed key file (or the pending one, *path*); FileNotFoundError if absent."""
        path = path or self.key
        return crypto.parse_key_file(read_capped(path, MAX_KEY_FILE_BYTES), str(path))

    def current_key_file(self) -> crypto.KeyFile:
        """The key file of a store in use: its disappearing now is a `StoreCorrupted`."""
        try:
            return self.read_key_file()
        except FileNotFoundError:
            raise StoreCorrupted(f"{self.key} disappeared while in use; try again") from None

    def restore_hint(self) -> str:
        """How to put the previous generation back, for a message about a damaged store."""
        if self.backup.exists():
            return (
                f"; the previous generation is in {self.backup}: restore it with "
                f"`cp {self.backup} {self.store}`"
            )
        return "; there is no backup generation to restore"

    def with_hint(self, error: StoreCorrupted) -> StoreCorrupted:
        """*error* with `restore_hint` added."""
        return StoreCorrupted(f"{error}{self.restore_hint()}")

    def check_permissions(self) -> None:
        """Refuse a home or store file that another user could replace (a few lstat calls)."""
        names = [path.name for path in self.all()]
        check_private(self.home, (*names, MARKER_FILE))
        self.permissions_checked = True

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's cross-process lock (made private, and checked, first)."""
        # filelock is imported here, not at module level: reads never lock, and its import
        # is a noticeable share of a `glassdome secrets get`.
        import filelock

        ensure_private_dir(self.home)
        if self.lock.is_symlink():
            # filelock opens with O_NOFOLLOW too; this says why in plain words.
            raise SecretStoreError(
                f"{self.lock} is a symbolic link; glassdome does not follow it: "
                "remove it and try again"
            )
        self.check_permissions()
        if self._file_lock is None:
            self._file_lock = filelock.FileLock(
                self.lock, timeout=self.lock_timeout, mode=0o600, preserve_lock_file=True
            )
        lock = self._file_lock
        try:
            lock.acquire()
        except filelock.Timeout:
            raise StoreBusy(
                f"another process has held {self.lock} for {self.lock_timeout:g}s; "
                "try again when it has finished"
            ) from None
        try:
            yield
        finally:
            lock.release()


def meta_from(record: Mapping[str, Any], path: Path) -> SecretMeta:
    """A metadata record read from the store at *path*; a malformed one is `StoreCorrupted`."""
    from glassdome.primitives.meta import SecretMeta  # metadata is never read by `get`

    try:
        return SecretMeta.from_record(record)
    except ValueError as exc:
        raise StoreCorrupted(f"{path}: a metadata record is damaged ({exc})") from None
