"""A new master password for the encrypted file store: a new data key, written crash-safely.

Re-wrapping the same data key would let an old copy of ``master_key.enc`` plus the
old password read everything written after the change, so the data key, and with
it the key id, is new, and the store and its backup are re-encrypted under it.

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
file, and the next reader or writer finishes the rename (the new password works;
`glassdome.backends.file_recovery`). Either way one password opens the store. A crash
between 2 and 3 leaves the .bak under the old key: it holds only data from before
the change, so nothing new leaks.
"""

from __future__ import annotations

from pathlib import Path

from glassdome.backends.file_layout import BACKUP_FILE, StoreFiles, check_store_size
from glassdome.backends.file_recovery import install_pending_key
from glassdome.errors import SecretStoreError, StoreCorrupted
from glassdome.primitives import crypto
from glassdome.primitives.atomic import atomic_write
from glassdome.primitives.sensitive import SecretText

__all__ = ["rotate_data_key"]


def rotate_data_key(
    files: StoreFiles, old: SecretText, new: SecretText, params: crypto.KdfParams
) -> tuple[crypto.UnlockedKey, crypto.Document, str]:
    """Under the lock: steps 1 to 4 above (a folder without a key file is an error).

    Returns the new key, the document now on disk, and one line saying what
    happened to the .bak. *old* must open the current key file.
    """
    if not files.key.exists():
        raise SecretStoreError(
            f"there is no store in {files.home} yet, so no master password to change; "
            "the first `glassdome secrets set` creates one"
        )
    old_key = crypto.unlock_key_file(files.current_key_file(), old)
    doc = _read_document(files, files.store, old_key)
    backup = _read_document(files, files.backup, old_key)
    if doc is None and files.backup.exists():
        raise StoreCorrupted(
            f"{files.store} is missing but its backup exists; restore it with "
            f"`cp {files.backup} {files.store}`"
        )
    key_file, new_key = crypto.new_key_file(new, params)
    doc = doc or crypto.Document(0, {})
    new_doc = crypto.Document(doc.generation + 1, dict(doc.secrets), dict(doc.meta))
    raw = crypto.encrypt_document(new_key, new_doc)
    check_store_size(files.store, raw)
    atomic_write(files.pending_key, key_file.to_bytes())  # 1
    atomic_write(files.store, raw)  # 2
    if backup is not None:
        atomic_write(files.backup, crypto.encrypt_document(new_key, backup))  # 3
        said = f"{BACKUP_FILE} (the previous generation) was re-encrypted under it"
    elif files.backup.exists():
        said = f"{BACKUP_FILE} was left as it was (the old data key does not open it)"
    else:
        said = f"there is no {BACKUP_FILE} to re-encrypt"
    install_pending_key(files)  # 4
    return new_key, new_doc, said


def _read_document(
    files: StoreFiles, path: Path, key: crypto.UnlockedKey
) -> crypto.Document | None:
    """*path* decrypted with *key*; None if it is missing, or (the .bak) not under *key*.

    The store itself must be under *key*: anything else is damage, reported with the
    way back. A .bak under another key (left by an earlier interrupted passwd) is
    simply not carried over.
    """
    try:
        raw = files.read_store(path)
    except FileNotFoundError:
        return None
    if path == files.store:
        if crypto.document_key_id(raw, str(path)) != key.key_id:
            raise files.with_hint(
                StoreCorrupted(
                    f"{files.store} was not written with the key in {files.key} "
                    "(one of the two files was replaced)"
                )
            )
        try:
            return crypto.decrypt_document(key, raw, str(path))
        except StoreCorrupted as exc:
            raise files.with_hint(exc) from None
    try:
        if crypto.document_key_id(raw, str(path)) != key.key_id:
            return None
        return crypto.decrypt_document(key, raw, str(path))
    except StoreCorrupted:
        return None
