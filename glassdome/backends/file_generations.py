"""Rollback detection within one process: a store's generation never goes back.

Every write of the encrypted file store adds one to the document's generation.
This process remembers the highest generation it has read or written per store
folder (real path) and key id; a store that goes back below it was rolled back
while the process ran (an older copy put in place). A rollback between two
processes is not detectable locally (docs/SECURITY.md, "Rollback").
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from glassdome.errors import StoreCorrupted

__all__ = ["generations_seen", "note_generation"]

_seen_generations: dict[str, dict[str, int]] = {}
_seen_lock = threading.Lock()


def generations_seen(real_home: str) -> dict[str, int]:
    """A copy of what this process has seen in *real_home*, per key id."""
    with _seen_lock:
        return dict(_seen_generations.get(real_home, {}))


def note_generation(
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
