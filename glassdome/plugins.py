"""Plugins by entry point group: the one place glassdome scans installed packages.

Registries are plain dicts: built-ins first, then every entry point of the
group. A plugin that fails to load is reported as a warning, never fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["load_plugins"]

T = TypeVar("T")
_log = logging.getLogger(__name__)


def load_plugins(
    group: str,
    builtin: dict[str, T],
    what: str,
    adapt: Callable[[Any], T] = lambda loaded: loaded,
) -> dict[str, T]:
    """Return *builtin* plus every loadable entry point of *group* (built-ins are not reloaded)."""
    from importlib.metadata import entry_points  # only here: scanning packages is slow

    found = dict(builtin)
    for entry in entry_points(group=group):
        if entry.name in found and entry.value.startswith("glassdome."):
            continue
        try:
            loaded = entry.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, never fatal
            _log.warning("%s plugin %r failed to load: %s", what, entry.name, exc)
            continue
        found[entry.name] = adapt(loaded)
    return found
