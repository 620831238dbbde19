"""Secrets in one Fernet-encrypted file, for machines without a usable OS keyring.

``secrets.encrypted`` holds the whole document (names and values) as one Fernet
token under a random data key; ``master_key.enc`` holds that data key wrapped by
an Argon2id key derived from the master password. Every write takes a
cross-process lock, re-reads, writes a temp file, fsyncs and renames it into
place, and keeps the previous generation as ``secrets.encrypted.bak``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from glassdome.backends.base import Availability, BackendContext
from glassdome.errors import (
    BackendUnavailable,
    SecretStoreError,
    StoreBusy,
    StoreCorrupted,
    WrongMasterPassword,
)
from glassdome.primitives import crypto
from glassdome.primitives.atomic import (
    atomic_write,
    ensure_private_dir,
    fsync_dir,
    remove_stale_temps,
)
from glassdome.primitives.master import MasterPasswordSource
from glassdome.primitives.permissions import check_private
from glassdome.primitives.sensitive import SecretText

if TYPE_CHECKING:
    from filelock import FileLock

__all__ = ["BACKUP_FILE", "KEY_FILE", "PENDING_KEY_FILE", "STORE_FILE", "EncryptedFileBackend"]

ENV_KDF_MEMORY = "GLASSDOME_KDF_MEMORY_KIB"
ENV_KDF_ITERATIONS = "GLASSDOME_KDF_ITERATIONS"

STORE_FILE = "secrets.encrypted"
KEY_FILE = "master_key.enc"
BACKUP_FILE = "secrets.encrypted.bak"
# passwd's new key file, before it replaces KEY_FILE (see change_master_password).
PENDING_KEY_FILE = "master_key.enc.pending"
LOCK_FILE = "secrets.lock"
_LOCK_TIMEOUT = 30.0
# Files larger than these are refused before they are read, so a huge or sparse file costs
# no memory. A value is at most 64 KiB of UTF-8 (names.MAX_VALUE_BYTES); in the document it
# becomes about 87 KiB (JSON, then Fernet's base64), so 128 MiB holds some 1,500 values of
# the maximum size, or hundreds of thousands of ordinary ones. Writes stay within it too.
MAX_STORE_BYTES = 128 * 1024 * 1024
# A key file is a JSON header of about 400 bytes.
MAX_KEY_FILE_BYTES = 64 * 1024


def _read_capped(path: Path, limit: int) -> bytes:
    """The contents of *path*, refused as `StoreCorrupted` if larger than *limit* bytes.

    The size is checked before reading, and at most *limit* + 1 bytes are read in case
    the file grows meanwhile. A missing file raises FileNotFoundError as before.
    """
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        content = b"" if size > limit else file.read(limit + 1)
    if size > limit or len(content) > limit:
        raise StoreCorrupted(
            f"{path} is larger than glassdome ever writes it ({max(size, len(content))} bytes, "
            f"the limit is {limit}); refusing to read it"
        )
    return content


# The highest generation this process has read or written, per store folder (real path)
# and key id. A store that goes back below it was rolled back while the process ran (an
# older copy put in place); a rollback between two processes is not detectable locally
# (docs/SECURITY.md, "Rollback").
_seen_generations: dict[str, dict[str, int]] = {}
_seen_lock = threading.Lock()


def _generations_seen(real_home: str) -> dict[str, int]:
    """A copy of what this process has seen in *real_home*, per key id."""
    with _seen_lock:
        return dict(_seen_generations.get(real_home, {}))


def _note_generation(
    real_home: str, key_id: str, generation: int, store: Path, before: Mapping[str, int]
) -> None:
    """Remember *generation*; raise `StoreCorrupted` if it is below what *before* recorded.

    *before* is taken before the file was read: reads take no lock, so another thread may
    write a newer generation while this one decrypts the older file it read; that is not a
    rollback, a generation lower than one seen before the read began is.
    """
    seen = before.get(key_id, -1)
    if generation < seen:
        raise StoreCorrupted(
            f"{store} was rolled back: it holds generation {generation}, but this process "
            f"already read or wrote generation {seen}; if you restored an older copy on "
            "purpose, start glassdome again"
        )
    with _seen_lock:
        known = _seen_generations.setdefault(real_home, {})
        known[key_id] = max(known.get(key_id, -1), generation)


def _restore_hint(backup: Path, store: Path) -> str:
    if backup.exists():
        return f"; the previous generation is in {backup}: restore it with `cp {backup} {store}`"
    return "; there is no backup generation to restore"


def _kdf_from_env(env: Mapping[str, str]) -> crypto.KdfParams:
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


def _check_store_size(path: Path, raw: bytes) -> None:
    """Refuse to write a store that could not be read back."""
    if len(raw) > MAX_STORE_BYTES:
        raise SecretStoreError(
            f"{path} would be {len(raw)} bytes, above the limit of {MAX_STORE_BYTES}; "
            "nothing was changed: delete secrets you no longer need, or store paths to files"
        )


class EncryptedFileBackend:
    """The encrypted file store in *home*; see the module docstring for the format."""

    name = "file"

    def __init__(
        self,
        home: Path,
        password: MasterPasswordSource | None = None,
        *,
        kdf: crypto.KdfParams | None = None,
        notice: Callable[[str], None] | None = None,
        lock_timeout: float = _LOCK_TIMEOUT,
    ) -> None:
        self.home = Path(home)
        self.store_path = self.home / STORE_FILE
        self.key_path = self.home / KEY_FILE
        self.backup_path = self.home / BACKUP_FILE
        self.pending_key_path = self.home / PENDING_KEY_FILE
        self._lock_path = self.home / LOCK_FILE
        self._password = password or MasterPasswordSource()
        self._kdf = crypto.check_kdf(kdf) if kdf is not None else crypto.DEFAULT_KDF
        self._notice = notice or (lambda message: None)
        self._lock_timeout = lock_timeout
        # One lock object per backend (made on first write), so the orphan check inside a
        # write re-enters the lock it already holds instead of waiting on a second descriptor.
        self._file_lock: FileLock | None = None
        self._mutex = threading.RLock()
        self._key: crypto.UnlockedKey | None = None
        self._raw: bytes | None = None  # the file contents self._doc was decrypted from
        self._doc = crypto.Document(0, {})
        self.unlock_count = 0  # Argon2 derivations that unlocked this store
        self._permissions_checked = False
        self._real_home = os.path.realpath(self.home)

    @classmethod
    def from_context(cls, context: BackendContext) -> EncryptedFileBackend:
        """Build for ``$GLASSDOME_HOME`` with the context's password source."""
        kdf = context.kdf or _kdf_from_env(context.env)
        return cls(context.home, context.password, kdf=kdf, notice=context.notice)

    def __repr__(self) -> str:
        state = "unlocked" if self._key is not None else "locked"
        return f"EncryptedFileBackend(home={str(self.home)!r}, {state})"

    def availability(self) -> Availability:
        """Report whether the store's folder can be written (that is all this backend needs)."""
        probe = self.home if self.home.exists() else self.home.parent
        while not probe.exists():
            probe = probe.parent
        if not os.access(probe, os.W_OK | os.X_OK):
            return Availability(False, f"{probe} is not writable")
        return Availability(True, f"encrypted file in {self.home}")

    def details(self) -> dict[str, str]:
        """Paths, and the KDF parameters in the key file if there is one."""
        facts = {"store": str(self.store_path), "key": str(self.key_path)}
        if self.key_path.exists():
            try:
                key_file = crypto.parse_key_file(
                    _read_capped(self.key_path, MAX_KEY_FILE_BYTES), str(self.key_path)
                )
                facts["kdf"] = key_file.kdf.describe()
            except StoreCorrupted as exc:
                facts["kdf"] = f"unreadable: {exc}"
        facts["password source"] = self._password.origin()
        return facts

    # -- permissions, locking and orphans ------------------------------------

    def _check_permissions(self) -> None:
        """Refuse a home or store file that another user could replace (a few lstat calls)."""
        from glassdome.core.secrets import MARKER_FILE

        check_private(
            self.home,
            (STORE_FILE, BACKUP_FILE, KEY_FILE, PENDING_KEY_FILE, LOCK_FILE, MARKER_FILE),
        )
        self._permissions_checked = True

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # filelock is imported here, not at module level: reads never lock, and its import
        # is a noticeable share of a `glassdome secrets get`.
        import filelock

        ensure_private_dir(self.home)
        if self._lock_path.is_symlink():
            # filelock opens with O_NOFOLLOW too; this says why in plain words.
            raise SecretStoreError(
                f"{self._lock_path} is a symbolic link; glassdome does not follow it: "
                "remove it and try again"
            )
        self._check_permissions()
        if self._file_lock is None:
            self._file_lock = filelock.FileLock(
                self._lock_path, timeout=self._lock_timeout, mode=0o600, preserve_lock_file=True
            )
        lock = self._file_lock
        try:
            lock.acquire()
        except filelock.Timeout:
            raise StoreBusy(
                f"another process has held {self._lock_path} for {self._lock_timeout:g}s; "
                "try again when it has finished"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _set_aside_orphan(self) -> None:
        """Move ``secrets.encrypted`` aside when its key is gone (the forgotten-password case)."""
        with self._locked():
            if self.key_path.exists() or not self.store_path.exists():
                return
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            suffix, n = stamp, 1
            while (self.home / f"{STORE_FILE}.orphaned-{suffix}").exists() or (
                self.home / f"{BACKUP_FILE}.orphaned-{suffix}"
            ).exists():
                suffix, n = f"{stamp}-{n}", n + 1
            moved = [self.home / f"{STORE_FILE}.orphaned-{suffix}"]
            if self.backup_path.exists():
                moved.append(self.home / f"{BACKUP_FILE}.orphaned-{suffix}")
                self.backup_path.replace(moved[1])
            self.store_path.replace(moved[0])
            fsync_dir(self.home)  # the renames outlive a crash before the new store is written
            self._key, self._raw, self._doc = None, None, crypto.Document(0, {})
        self._notice(
            f"{self.key_path} is missing, so {self.store_path} can no longer be decrypted; "
            f"moved it to {moved[0]}"
            + (f" and its backup to {moved[1]}" if len(moved) > 1 else "")
            + "; a new store will be created with a new master password on the next write"
        )

    # -- reading -------------------------------------------------------------

    def _current(self) -> crypto.Document:
        """Return the document as it is on disk now; unlocks at most once per process."""
        with self._mutex:
            if not self._permissions_checked:
                self._check_permissions()
            seen = _generations_seen(self._real_home)
            try:
                raw = _read_capped(self.store_path, MAX_STORE_BYTES)
            except FileNotFoundError:
                if self.backup_path.exists():
                    raise StoreCorrupted(
                        f"{self.store_path} is missing but its backup exists; restore it with "
                        f"`cp {self.backup_path} {self.store_path}`"
                    ) from None
                self._raw, self._doc = None, crypto.Document(0, {})
                return self._doc
            if raw == self._raw:
                return self._doc
            if not self.key_path.exists():
                self._set_aside_orphan()
                return self._current()
            source = str(self.store_path)
            try:
                key_id = crypto.document_key_id(raw, source)
            except StoreCorrupted as exc:
                raise self._with_hint(exc) from None
            key = self._unlocked(key_id)
            try:
                doc = crypto.decrypt_document(key, raw, source)
            except StoreCorrupted as exc:
                raise self._with_hint(exc) from None
            _note_generation(self._real_home, key_id, doc.generation, self.store_path, seen)
            self._raw, self._doc = raw, doc
            return doc

    def _with_hint(self, error: StoreCorrupted) -> StoreCorrupted:
        return StoreCorrupted(f"{error}{_restore_hint(self.backup_path, self.store_path)}")

    def _read_key_file(self) -> crypto.KeyFile:
        try:
            content = _read_capped(self.key_path, MAX_KEY_FILE_BYTES)
        except FileNotFoundError:
            raise StoreCorrupted(f"{self.key_path} disappeared while in use; try again") from None
        return crypto.parse_key_file(content, str(self.key_path))

    def _unlocked(self, key_id: str) -> crypto.UnlockedKey:
        """Return the data key for *key_id*, asking for the master password if needed."""
        if self._key is not None and self._key.key_id == key_id:
            return self._key
        key_file = self._read_key_file()
        if key_file.key_id != key_id and self.pending_key_path.exists():
            # A passwd is running (the lock waits for it) or was interrupted after the store
            # was rewritten: finish it, then read the key file it leaves.
            with self._locked():
                self._finish_pending_passwd()
            key_file = self._read_key_file()
        if key_file.key_id != key_id:
            raise StoreCorrupted(
                f"{self.store_path} was not written with the key in {self.key_path} "
                "(one of the two files was replaced)"
                + _restore_hint(self.backup_path, self.store_path)
            )
        attempts = 3 if self._password.interactive else 1
        for attempt in range(1, attempts + 1):
            password = self._password.get(new=False)
            try:
                self._key = crypto.unlock_key_file(key_file, password)
            except WrongMasterPassword:
                if attempt == attempts:
                    raise
                self._notice("wrong master password; try again")
            else:
                self.unlock_count += 1
                return self._key
        raise AssertionError("unreachable")  # pragma: no cover

    # -- writing -------------------------------------------------------------

    def _mutate(self, change: Callable[[dict[str, str]], bool]) -> bool:
        """Apply *change* to a fresh copy of the document under the lock; write if it changed."""
        with self._mutex:
            # Everything that may ask for a password happens before the lock is taken, so
            # no other writer waits on someone typing: setting an orphan aside, unlocking,
            # and choosing the password of a new store.
            if not change(dict(self._current().secrets)):
                return False
            new_password = None if self.key_path.exists() else self._password.get(new=True)
            with self._locked():
                return self._write_locked(change, new_password)

    def _write_locked(
        self, change: Callable[[dict[str, str]], bool], new_password: SecretText | None
    ) -> bool:
        remove_stale_temps(self.store_path)
        remove_stale_temps(self.key_path)
        self._finish_pending_passwd()
        doc = self._current()
        secrets = dict(doc.secrets)
        if not change(secrets):
            return False
        if self.key_path.exists():
            key = self._unlocked(self._read_key_file().key_id)
        else:
            key = self._create_key(new_password or self._password.get(new=True))
        new_doc = crypto.Document(doc.generation + 1, secrets)
        raw = crypto.encrypt_document(key, new_doc)
        _check_store_size(self.store_path, raw)
        atomic_write(self.store_path, raw, backup=self.backup_path)
        _note_generation(self._real_home, key.key_id, new_doc.generation, self.store_path, {})
        # The next read decrypts what is on disk, so a read after a write is a real read-back.
        self._raw, self._doc = None, new_doc
        return True

    def _create_key(self, password: SecretText) -> crypto.UnlockedKey:
        key_file, key = crypto.new_key_file(password, self._kdf)
        ensure_private_dir(self.home)
        atomic_write(self.key_path, key_file.to_bytes())
        self._key = key
        self.unlock_count += 1
        return key

    # -- the contract --------------------------------------------------------

    def get(self, name: str) -> str | None:
        """Return the stored value or None; needs no password while the store does not exist."""
        return self._current().secrets.get(name)

    def set(self, name: str, value: str) -> None:
        """Store one value (one write, none if it is already stored)."""
        self.set_many({name: value})

    def set_many(self, items: Mapping[str, str]) -> None:
        """Store several values in one write."""

        def change(secrets: dict[str, str]) -> bool:
            changed = any(secrets.get(k) != v for k, v in items.items())
            secrets.update(items)
            return changed

        self._mutate(change)

    def delete(self, name: str) -> bool:
        """Remove a name; returns whether it existed."""
        return self._mutate(lambda secrets: secrets.pop(name, None) is not None)

    def names(self) -> list[str]:
        """Every stored name, sorted."""
        return sorted(self._current().secrets)

    def _finish_pending_passwd(self) -> None:
        """Under the lock: complete or discard what an interrupted passwd left behind.

        The store's header names its key id. If the store is already under the pending
        key, passwd got past its commit point and the pending key file is installed;
        otherwise passwd never committed and the pending file is thrown away.
        """
        remove_stale_temps(self.pending_key_path)
        if not self.pending_key_path.exists():
            return
        try:
            pending = crypto.parse_key_file(
                _read_capped(self.pending_key_path, MAX_KEY_FILE_BYTES), str(self.pending_key_path)
            )
            store_key_id = crypto.document_key_id(
                _read_capped(self.store_path, MAX_STORE_BYTES), str(self.store_path)
            )
        except (StoreCorrupted, FileNotFoundError):
            store_key_id = None
            pending = None
        if pending is not None and pending.key_id == store_key_id:
            self._install_pending_key()
        else:
            self.pending_key_path.unlink(missing_ok=True)
            fsync_dir(self.home)

    def _install_pending_key(self) -> None:
        self.pending_key_path.replace(self.key_path)
        fsync_dir(self.home)

    def change_master_password(
        self, old: SecretText, new: SecretText, kdf: crypto.KdfParams | None = None
    ) -> str:
        """Rotate the data key: a new key under *new*, the store and its .bak re-encrypted.

        Re-wrapping the same data key would let an old copy of ``master_key.enc`` plus the
        old password read everything written after the change, so the data key, and with it
        the key id, is new. Returns one line saying what happened to the .bak.

        Crash safety: the two files cannot be replaced together, so the order is
          1. the new key file goes to ``master_key.enc.pending`` (``master_key.enc`` untouched);
          2. ``secrets.encrypted`` is replaced by the document under the new key: the commit
             point, since its header now names the new key id, which only the pending file
             holds and which the old key file cannot open (the ids differ, and the key id is
             bound into the Argon2id derivation);
          3. ``secrets.encrypted.bak`` is re-encrypted under the new key;
          4. the pending file is renamed over ``master_key.enc``.
        A crash before 2 leaves the old store and key (the old password works, the pending
        file is discarded); a crash after 2 leaves a store whose key id matches the pending
        file, and the next reader or writer finishes the rename (the new password works).
        Either way one password opens the store. A crash between 2 and 3 leaves the .bak
        under the old key: it holds only data from before the change, so nothing new leaks.
        """
        params = kdf or self._kdf
        crypto.check_new_password(new)
        crypto.check_kdf(params)
        with self._mutex, self._locked():
            remove_stale_temps(self.store_path)
            remove_stale_temps(self.key_path)
            self._finish_pending_passwd()
            if not self.key_path.exists():
                raise SecretStoreError(
                    f"there is no store in {self.home} yet, so no master password to change; "
                    "the first `glassdome secrets set` creates one"
                )
            old_key = crypto.unlock_key_file(self._read_key_file(), old)
            doc = self._read_document(self.store_path, old_key, missing_ok=True)
            backup = self._read_document(self.backup_path, old_key, missing_ok=True)
            if doc is None and self.backup_path.exists():
                raise StoreCorrupted(
                    f"{self.store_path} is missing but its backup exists; restore it with "
                    f"`cp {self.backup_path} {self.store_path}`"
                )
            key_file, new_key = crypto.new_key_file(new, params)
            doc = doc or crypto.Document(0, {})
            new_doc = crypto.Document(doc.generation + 1, dict(doc.secrets))
            raw = crypto.encrypt_document(new_key, new_doc)
            _check_store_size(self.store_path, raw)
            atomic_write(self.pending_key_path, key_file.to_bytes())  # 1
            atomic_write(self.store_path, raw)  # 2
            if backup is not None:
                atomic_write(self.backup_path, crypto.encrypt_document(new_key, backup))  # 3
                said = f"{BACKUP_FILE} (the previous generation) was re-encrypted under it"
            elif self.backup_path.exists():
                said = f"{BACKUP_FILE} was left as it was (the old data key does not open it)"
            else:
                said = f"there is no {BACKUP_FILE} to re-encrypt"
            self._install_pending_key()  # 4
            _note_generation(
                self._real_home, new_key.key_id, new_doc.generation, self.store_path, {}
            )
            self._key, self._raw, self._doc = new_key, None, new_doc
            self.unlock_count += 1
        return f"The store was re-encrypted under a new data key; {said}."

    def _read_document(
        self, path: Path, key: crypto.UnlockedKey, *, missing_ok: bool
    ) -> crypto.Document | None:
        """*path* decrypted with *key*; None if it is missing (store) or not under *key* (.bak)."""
        try:
            raw = _read_capped(path, MAX_STORE_BYTES)
        except FileNotFoundError:
            if missing_ok:
                return None
            raise
        if path == self.store_path:
            if crypto.document_key_id(raw, str(path)) != key.key_id:
                raise self._with_hint(
                    StoreCorrupted(
                        f"{self.store_path} was not written with the key in {self.key_path} "
                        "(one of the two files was replaced)"
                    )
                )
            try:
                return crypto.decrypt_document(key, raw, str(path))
            except StoreCorrupted as exc:
                raise self._with_hint(exc) from None
        try:
            if crypto.document_key_id(raw, str(path)) != key.key_id:
                return None
            return crypto.decrypt_document(key, raw, str(path))
        except StoreCorrupted:
            return None
