"""Putting an encrypted file store right after an interruption or a lost key.

Two situations, both handled under the store's lock by whoever comes next:

- ``master_key.enc`` is gone but ``secrets.encrypted`` is not (the key was deleted,
  usually because its password was forgotten): the store can never be decrypted
  again, so it and its backup are moved aside, kept, and a new store can begin.
- a passwd was interrupted (``master_key.enc.pending`` exists): it is finished if it
  got past its commit point, and undone if it did not (`glassdome.backends.file_passwd`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from glassdome.backends.base import Finding
from glassdome.backends.file_layout import BACKUP_FILE, STORE_FILE, StoreFiles
from glassdome.errors import GlassdomeError, StoreCorrupted
from glassdome.primitives import crypto
from glassdome.primitives.atomic import fsync_dir, remove_stale_temps

__all__ = [
    "finish_pending_passwd",
    "health_findings",
    "install_pending_key",
    "orphan_notice",
    "orphans",
    "set_aside_orphan",
]


def set_aside_orphan(files: StoreFiles) -> list[Path]:
    """Under the lock: move the store (and its backup) aside if its key file is gone.

    Returns where they went, the store first; nothing is moved (and [] returned)
    when the key file exists or there is no store.
    """
    if files.key.exists() or not files.store.exists():
        return []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix, n = stamp, 1
    while (files.home / f"{STORE_FILE}.orphaned-{suffix}").exists() or (
        files.home / f"{BACKUP_FILE}.orphaned-{suffix}"
    ).exists():
        suffix, n = f"{stamp}-{n}", n + 1
    moved = [files.home / f"{STORE_FILE}.orphaned-{suffix}"]
    if files.backup.exists():
        moved.append(files.home / f"{BACKUP_FILE}.orphaned-{suffix}")
        files.backup.replace(moved[1])
    files.store.replace(moved[0])
    fsync_dir(files.home)  # the renames outlive a crash before the new store is written
    return moved


def orphan_notice(files: StoreFiles, moved: list[Path]) -> str:
    """What `set_aside_orphan` did, and what happens next, in one line."""
    return (
        f"{files.key} is missing, so {files.store} can no longer be decrypted; "
        f"moved it to {moved[0]}"
        + (f" and its backup to {moved[1]}" if len(moved) > 1 else "")
        + "; a new store will be created with a new master password on the next write"
    )


def orphans(files: StoreFiles) -> list[str]:
    """The names of the stores and backups moved aside so far, sorted."""
    return sorted(path.name for path in files.home.glob("*.orphaned-*"))


def finish_pending_passwd(files: StoreFiles) -> None:
    """Under the lock: complete or discard what an interrupted passwd left behind.

    The store's header names its key id. If the store is already under the pending
    key, passwd got past its commit point and the pending key file is installed;
    otherwise passwd never committed and the pending file is thrown away.
    """
    remove_stale_temps(files.pending_key)
    if not files.pending_key.exists():
        return
    try:
        pending = files.read_key_file(files.pending_key)
        store_key_id = crypto.document_key_id(files.read_store(), str(files.store))
    except (StoreCorrupted, FileNotFoundError):
        store_key_id = None
        pending = None
    if pending is not None and pending.key_id == store_key_id:
        install_pending_key(files)
    else:
        files.pending_key.unlink(missing_ok=True)
        fsync_dir(files.home)


def install_pending_key(files: StoreFiles) -> None:
    """Make the pending key file the key file (passwd's last step)."""
    files.pending_key.replace(files.key)
    fsync_dir(files.home)


def health_findings(files: StoreFiles) -> list[Finding]:
    """For ``doctor``: the key file's KDF against the current default, and stores set aside."""
    found: list[Finding] = []
    if files.key.exists():
        try:
            kdf = files.current_key_file().kdf
        except GlassdomeError as exc:
            found.append(Finding("KDF", "attention", str(exc)))
        else:
            if kdf.below(crypto.DEFAULT_KDF):
                found.append(
                    Finding(
                        "KDF",
                        "attention",
                        f"{kdf.describe()} is below the current default "
                        f"({crypto.DEFAULT_KDF.describe()}); `glassdome secrets passwd` "
                        "re-wraps the key with the default",
                    )
                )
            else:
                found.append(Finding("KDF", "ok", kdf.describe()))
    moved = orphans(files)
    if moved:
        found.append(
            Finding("orphaned stores", "info", f"kept after a lost master key: {', '.join(moved)}")
        )
    return found
