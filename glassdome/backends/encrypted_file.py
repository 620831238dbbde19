"""Secrets in one Fernet-encrypted file, for machines without a usable OS keyring.

``secrets.encrypted`` holds the whole document (names and values) as one Fernet token under
a random data key; ``master_key.enc`` holds that data key wrapped by an Argon2id key derived
from the master password. Every write takes a cross-process lock, re-reads, writes a temp
file, fsyncs and renames it into place, and keeps the previous generation as ``.bak``.

This module unlocks, reads and writes. The files and the lock are in `.file_layout`,
rollback detection in `.file_generations`, recovery from a lost key or an interrupted
passwd in `.file_recovery`, and the password change in `.file_passwd`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassdome.backends import file_recovery as recovery
from glassdome.backends.base import Availability, BackendContext, Finding
from glassdome.backends.file_generations import generations_seen, note_generation
from glassdome.backends.file_layout import (
    BACKUP_FILE,
    KEY_FILE,
    LOCK_FILE,
    LOCK_TIMEOUT,
    PENDING_KEY_FILE,
    STORE_FILE,
    StoreFiles,
    check_store_size,
    kdf_from_env,
    meta_from,
)
from glassdome.backends.file_passwd import rotate_data_key
from glassdome.errors import StoreCorrupted, WrongMasterPassword
from glassdome.primitives import crypto
from glassdome.primitives.atomic import atomic_write, ensure_private_dir, remove_stale_temps
from glassdome.primitives.master import MasterPasswordSource
from glassdome.primitives.sensitive import SecretText

if TYPE_CHECKING:
    from glassdome.primitives.meta import SecretMeta

_Records = dict[str, Mapping[str, Any]]  # metadata records by name, as stored
_Change = Callable[[dict[str, str], _Records], bool]  # edits a copy; True if it changed it

__all__ = [
    "BACKUP_FILE",
    "KEY_FILE",
    "LOCK_FILE",
    "PENDING_KEY_FILE",
    "STORE_FILE",
    "EncryptedFileBackend",
]


class EncryptedFileBackend:
    """The encrypted file store in *home*; see the module docstring for the format.

    *kdf* is the key derivation a new key file gets; without it, ``GLASSDOME_KDF_*`` in
    *kdf_env* (checked when a key is first needed, so a bad value stops only the writes
    that would use it), else the default.
    """

    name = "file"

    def __init__(
        self,
        home: Path,
        password: MasterPasswordSource | None = None,
        *,
        kdf: crypto.KdfParams | None = None,
        kdf_env: Mapping[str, str] | None = None,
        notice: Callable[[str], None] | None = None,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self.home = Path(home)
        self._files = StoreFiles(self.home, lock_timeout)
        self.store_path, self.key_path = self._files.store, self._files.key
        self.backup_path, self.pending_key_path = self._files.backup, self._files.pending_key
        self._password = password or MasterPasswordSource()
        self._kdf = crypto.check_kdf(kdf) if kdf is not None else None
        self._kdf_env: Mapping[str, str] = kdf_env or {}
        self._notice = notice or (lambda message: None)
        self._mutex = threading.RLock()
        self._key: crypto.UnlockedKey | None = None
        self._raw: bytes | None = None  # the file contents self._doc was decrypted from
        self._doc = crypto.Document(0, {})
        self.unlock_count = 0  # Argon2 derivations that unlocked this store
        self._real_home = os.path.realpath(self.home)

    @classmethod
    def from_context(cls, context: BackendContext) -> EncryptedFileBackend:
        """Build for ``$GLASSDOME_HOME`` with the context's password source."""
        return cls(
            context.home,
            context.password,
            kdf=context.kdf,
            kdf_env=context.env,
            notice=context.notice,
        )

    def __repr__(self) -> str:
        state = "unlocked" if self._key is not None else "locked"
        return f"EncryptedFileBackend(home={str(self.home)!r}, {state})"

    def _new_kdf(self) -> crypto.KdfParams:
        """The KDF of a new key file; a bad ``GLASSDOME_KDF_*`` raises `BackendUnavailable`."""
        if self._kdf is None:
            self._kdf = kdf_from_env(self._kdf_env)
        return self._kdf

    # -- what the store is, without opening it -------------------------------

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
                facts["kdf"] = self._files.read_key_file().kdf.describe()
            except StoreCorrupted as exc:
                facts["kdf"] = f"unreadable: {exc}"
        facts["password source"] = self._password.origin()
        return facts

    def store_files(self) -> list[Path]:
        """The store, key, backup, lock and pending key files, existing or not."""
        return self._files.all()

    def holds_secrets(self) -> bool:
        """Whether a store or key file is here (so secrets were stored in this backend)."""
        return self.store_path.exists() or self.key_path.exists()

    def health_checks(self) -> list[Finding]:
        """The key file's KDF against the current default, and stores set aside."""
        return recovery.health_findings(self._files)

    # -- reading -------------------------------------------------------------

    def _current(self) -> crypto.Document:
        """Return the document as it is on disk now; unlocks at most once per process."""
        with self._mutex:
            if not self._files.permissions_checked:
                self._files.check_permissions()
            seen = generations_seen(self._real_home)
            try:
                raw = self._files.read_store()
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
                raise self._files.with_hint(exc) from None
            key = self._unlocked(key_id)
            try:
                doc = crypto.decrypt_document(key, raw, source)
            except StoreCorrupted as exc:
                raise self._files.with_hint(exc) from None
            note_generation(self._real_home, key_id, doc.generation, self.store_path, seen)
            self._raw, self._doc = raw, doc
            return doc

    def _set_aside_orphan(self) -> None:
        """Move ``secrets.encrypted`` aside when its key is gone (the forgotten-password case)."""
        with self._files.locked():
            moved = recovery.set_aside_orphan(self._files)
            if not moved:
                return
            self._key, self._raw, self._doc = None, None, crypto.Document(0, {})
        self._notice(recovery.orphan_notice(self._files, moved))

    def _unlocked(self, key_id: str) -> crypto.UnlockedKey:
        """Return the data key for *key_id*, asking for the master password if needed."""
        if self._key is not None and self._key.key_id == key_id:
            return self._key
        key_file = self._files.current_key_file()
        if key_file.key_id != key_id and self.pending_key_path.exists():
            # A passwd is running (the lock waits for it) or was interrupted after the store
            # was rewritten: finish it, then read the key file it leaves.
            with self._files.locked():
                recovery.finish_pending_passwd(self._files)
            key_file = self._files.current_key_file()
        if key_file.key_id != key_id:
            raise StoreCorrupted(
                f"{self.store_path} was not written with the key in {self.key_path} "
                "(one of the two files was replaced)" + self._files.restore_hint()
            )
        attempts = 3 if self._password.interactive else 1
        for attempt in range(1, attempts + 1):
            try:
                self._key = crypto.unlock_key_file(key_file, self._password.get(new=False))
            except WrongMasterPassword:
                if attempt == attempts:
                    raise
                self._notice("wrong master password; try again")
            else:
                self.unlock_count += 1
                return self._key
        raise AssertionError("unreachable")  # pragma: no cover

    def hand_over(self, key: crypto.UnlockedKey | None = None) -> crypto.UnlockedKey:
        """The data key, unlocked as a read would, or *key* adopted (`glassdome unlock`'s)."""
        with self._mutex:
            if key is not None:
                self._key, self._raw = key, None
            self._current()  # an adopted key that does not decrypt the store fails here
            return self._unlocked(self._files.current_key_file().key_id)

    # -- writing -------------------------------------------------------------

    def _tidy_locked(self) -> None:
        """Under the lock: remove temps a killed writer left, finish an interrupted passwd."""
        remove_stale_temps(self.store_path)
        remove_stale_temps(self.key_path)
        recovery.finish_pending_passwd(self._files)

    def _mutate(self, change: _Change) -> bool:
        """Apply *change* to a fresh copy of the document under the lock; write if it changed."""
        with self._mutex:
            # Everything that may ask for a password happens before the lock is taken, so
            # no other writer waits on someone typing: setting an orphan aside, unlocking,
            # and choosing the password of a new store (and its KDF, checked first).
            current = self._current()
            if not change(dict(current.secrets), dict(current.meta)):
                return False
            new_password = None
            if not self.key_path.exists():
                self._new_kdf()
                new_password = self._password.get(new=True)
            with self._files.locked():
                return self._write_locked(change, new_password)

    def _write_locked(self, change: _Change, new_password: SecretText | None) -> bool:
        self._tidy_locked()
        doc = self._current()
        secrets, meta = dict(doc.secrets), dict(doc.meta)
        if not change(secrets, meta):
            return False
        if self.key_path.exists():
            key = self._unlocked(self._files.current_key_file().key_id)
        else:
            key = self._create_key(new_password or self._password.get(new=True))
        new_doc = crypto.Document(doc.generation + 1, secrets, meta)
        raw = crypto.encrypt_document(key, new_doc)
        check_store_size(self.store_path, raw)
        atomic_write(self.store_path, raw, backup=self.backup_path)
        note_generation(self._real_home, key.key_id, new_doc.generation, self.store_path, {})
        # The next read decrypts what is on disk, so a read after a write is a real read-back.
        self._raw, self._doc = None, new_doc
        return True

    def _create_key(self, password: SecretText) -> crypto.UnlockedKey:
        key_file, key = crypto.new_key_file(password, self._new_kdf())
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
        self.set_with_meta(items, {})

    def set_with_meta(self, items: Mapping[str, str], meta: Mapping[str, SecretMeta]) -> None:
        """Store values and metadata records in one write (none if nothing changes)."""
        records = {name: record.as_record() for name, record in meta.items()}

        def change(secrets: dict[str, str], stored: _Records) -> bool:
            changed = any(secrets.get(k) != v for k, v in items.items()) or any(
                stored.get(k) != v for k, v in records.items()
            )
            secrets.update(items)
            stored.update({k: v for k, v in records.items() if k in secrets})
            return changed

        self._mutate(change)

    def get_meta(self, name: str) -> SecretMeta | None:
        """The metadata record of *name*, or None."""
        record = self._current().meta.get(name)
        return None if record is None else meta_from(record, self.store_path)

    def all_meta(self) -> dict[str, SecretMeta]:
        """Every metadata record, by name."""
        return {n: meta_from(r, self.store_path) for n, r in self._current().meta.items()}

    def delete(self, name: str) -> bool:
        """Remove a name and its metadata; returns whether it existed."""

        def change(secrets: dict[str, str], stored: _Records) -> bool:
            stored.pop(name, None)
            return secrets.pop(name, None) is not None

        return self._mutate(change)

    def names(self) -> list[str]:
        """Every stored name, sorted."""
        return sorted(self._current().secrets)

    def change_master_password(
        self, old: SecretText, new: SecretText, kdf: crypto.KdfParams | None = None
    ) -> str:
        """Rotate the data key: a new key under *new*, the store and its .bak re-encrypted.

        Crash-safe in the order `glassdome.backends.file_passwd` describes; returns one
        line saying what happened to the .bak.
        """
        params = kdf or self._new_kdf()
        crypto.check_new_password(new)
        crypto.check_kdf(params)
        with self._mutex, self._files.locked():
            self._tidy_locked()
            key, doc, said = rotate_data_key(self._files, old, new, params)
            note_generation(self._real_home, key.key_id, doc.generation, self.store_path, {})
            self._key, self._raw, self._doc = key, None, doc
            self.unlock_count += 1
        return f"The store was re-encrypted under a new data key; {said}."
