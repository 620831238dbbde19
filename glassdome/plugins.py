"""Registries by name: built-ins listed in code, plugins from an entry point group.

A `Registry` is a read-only mapping. A built-in is one line, ``name ->
"module:attribute"``, imported the first time it is asked for. Third-party
objects come from the entry points of the registry's group, which are scanned
only when a name is not built in or the whole list is wanted: reading the
metadata of every installed distribution (and importing `importlib.metadata`)
would cost each `glassdome secrets get` more than the rest of its start-up.

A plugin that fails to load is reported in one line on the ``glassdome.plugins``
logger (stderr when nothing else is configured) and skipped, never fatal. A
plugin cannot replace a built-in: an entry point under a built-in's name is
reported and ignored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["Registry", "resolve"]

T = TypeVar("T")


def resolve(reference: str) -> Any:
    """The object a ``"module:attribute"`` reference names, importing its module."""
    module, _, attribute = reference.partition(":")
    found: Any = import_module(module)
    for part in attribute.split(".") if attribute else ():
        found = getattr(found, part)
    return found


def _report(what: str, entry: EntryPoint, problem: str) -> None:
    import logging  # only when there is something to say

    dist = getattr(entry.dist, "name", None)
    origin = f" ({dist})" if dist else ""
    logging.getLogger(__name__).warning(
        "%s plugin %r%s %s", what, entry.name, origin, " ".join(problem.split())
    )


class Registry(Mapping[str, T]):
    """Every *what* by name: the built-ins, then the plugins of entry point group *group*.

    *adapt* turns what a reference or entry point names into the registry's value,
    raising TypeError when it is not one (a plugin's mistake, reported like a failed import).
    """

    def __init__(
        self,
        group: str,
        builtins: Mapping[str, str],
        what: str,
        adapt: Callable[[Any], T],
    ) -> None:
        self.group = group
        self._builtins = dict(builtins)
        self._what = what
        self._adapt = adapt
        self._loaded: dict[str, T] = {}
        self._plugins: dict[str, T] | None = None
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> T:
        if name in self._builtins:
            if name not in self._loaded:
                self._loaded[name] = self._adapt(resolve(self._builtins[name]))
            return self._loaded[name]
        return self.plugins()[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._builtins
        yield from self.plugins()

    def __len__(self) -> int:
        return len(self._builtins) + len(self.plugins())

    def __contains__(self, name: object) -> bool:
        return name in self._builtins or (isinstance(name, str) and name in self.plugins())

    def plugins(self) -> Mapping[str, T]:
        """The plugins of the group that loaded, by name (scanned once, on first use)."""
        with self._lock:
            if self._plugins is None:
                self._plugins = self._scan()
            return self._plugins

    def _scan(self) -> dict[str, T]:
        from importlib.metadata import entry_points

        found: dict[str, T] = {}
        for entry in entry_points(group=self.group):
            if entry.name in self._builtins:
                if entry.value != self._builtins[entry.name]:  # not a record of the built-in
                    _report(self._what, entry, "ignored: a plugin cannot replace a built-in")
                continue
            if entry.name in found:
                _report(self._what, entry, "ignored: another plugin has that name")
                continue
            try:
                found[entry.name] = self._adapt(entry.load())
            except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, never fatal
                _report(self._what, entry, f"failed to load: {type(exc).__name__}: {exc}")
        return found
