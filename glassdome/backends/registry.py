"""Backends by name: a plain dict filled from the ``glassdome.backends`` entry point group.

Built-in backends register through the same entry points a third-party one
would; a plugin that fails to load is reported, never fatal.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import entry_points
from typing import cast

from glassdome.backends.base import BackendFactory

__all__ = ["ENTRY_POINT_GROUP", "backend_factories"]

ENTRY_POINT_GROUP = "glassdome.backends"
_log = logging.getLogger(__name__)


def _builtin() -> dict[str, BackendFactory]:
    from glassdome.backends.encrypted_file import EncryptedFileBackend
    from glassdome.backends.os_keyring import OsKeyringBackend

    return {"keyring": OsKeyringBackend.from_context, "file": EncryptedFileBackend.from_context}


@cache
def backend_factories() -> dict[str, BackendFactory]:
    """Return every known backend factory by name (built-ins first, then plugins)."""
    factories = _builtin()
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in factories and entry.value.startswith("glassdome."):
            continue
        try:
            loaded = entry.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, never fatal
            _log.warning("secret backend plugin %r failed to load: %s", entry.name, exc)
            continue
        factories[entry.name] = cast(BackendFactory, getattr(loaded, "from_context", loaded))
    return factories
