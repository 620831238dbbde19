"""The stores an agent holds unlocked, and the operations it serves on them.

A store is known by its folder's real path, its backend and (file store) the key id
of its ``master_key.enc``. Before every operation the key id on disk is read again:
a store whose key file changed (``passwd``, a rotated data key, a swapped store) is
dropped, never served, and the client falls back to unlocking it itself.

The file store is an `EncryptedFileBackend` that adopted the data key `glassdome
unlock` derived and that has no password source at all, so the agent never derives.
The keyring is an `OsKeyringBackend` with a cache of the values it read, emptied by
every write through the agent, by a write through glassdome in any other process (the
backend's change mark), and after the idle timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from glassdome.backends.base import SecretBackend, SupportsMetadata
from glassdome.errors import GlassdomeError, MasterPasswordUnavailable
from glassdome.primitives.agent_wire import StoreId, store_id
from glassdome.primitives.master import ENV_NO_INPUT, MasterPasswordSource
from glassdome.primitives.names import check_value, normalize_name

__all__ = ["HeldStore", "Holdings", "NotHeld"]

_Reply = dict[str, Any]


class NotHeld(Exception):
    """The agent does not hold the store a request names (or no longer may)."""


def _key(store: Mapping[str, Any]) -> tuple[str, str, str]:
    try:
        return (str(store["home"]), str(store["backend"]), str(store.get("key_id", "")))
    except (KeyError, TypeError):
        raise ValueError("a request names no store") from None


def _text_map(value: object, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{what} must be an object of strings")
    return {normalize_name(k): check_value(normalize_name(k), v) for k, v in value.items()}


class HeldStore:
    """One unlocked store: its backend, and (keyring) a cache of values read."""

    def __init__(
        self,
        ident: StoreId,
        backend: SecretBackend,
        cache_seconds: float = 0.0,
        change_mark: Callable[[], bytes] = bytes,
    ) -> None:
        self.ident = ident
        self.backend = backend
        self.cache_seconds = cache_seconds
        self._change_mark = change_mark
        self._mark = change_mark()
        self._cache: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"HeldStore(home={self.ident['home']!r}, backend={self.ident['backend']!r})"

    def still_valid(self) -> bool:
        """Whether the store on disk is still the one unlocked (the file store's key id)."""
        if self.ident["backend"] != "file":
            return True
        return store_id(Path(self.ident["home"]), "file")["key_id"] == self.ident["key_id"]

    def get(self, name: str) -> str | None:
        """The value, from the cache while it is fresh."""
        if self.cache_seconds <= 0:
            return self.backend.get(name)
        now, mark = time.monotonic(), self._change_mark()
        with self._lock:
            if mark != self._mark:  # written by a process that did not go through the agent
                self._cache.clear()
                self._mark = mark
            cached = self._cache.get(name)
            if cached is not None and cached[1] > now:
                return cached[0]
        value = self.backend.get(name)
        with self._lock:
            if mark == self._mark:
                self._cache[name] = (value, now + self.cache_seconds)
        return value

    def forget_cache(self) -> None:
        """Empty the cache (after a write, or at the idle timeout)."""
        with self._lock:
            self._cache.clear()

    def serve(self, op: str, request: Mapping[str, Any]) -> _Reply:
        """Do *op* on this store; ValueError for a malformed request."""
        backend = self.backend
        if op == "get":
            return {"value": self.get(normalize_name(request.get("name")))}
        if op == "names":
            return {"names": sorted(backend.names())}
        if op in ("get_meta", "all_meta"):
            return self._meta(op, request)
        self.forget_cache()  # every write empties the cache, before and after
        try:
            if op == "set":
                return self._set(request)
            if op == "delete":
                return {"existed": backend.delete(normalize_name(request.get("name")))}
        finally:
            self.forget_cache()
        raise ValueError("unknown operation")

    def _meta(self, op: str, request: Mapping[str, Any]) -> _Reply:
        backend = self.backend
        if not isinstance(backend, SupportsMetadata):
            return {"record": None, "records": {}}
        if op == "get_meta":
            record = backend.get_meta(normalize_name(request.get("name")))
            return {"record": None if record is None else record.as_record()}
        return {"records": {n: r.as_record() for n, r in backend.all_meta().items()}}

    def _set(self, request: Mapping[str, Any]) -> _Reply:
        from glassdome.primitives.meta import SecretMeta

        items = _text_map(request.get("items", {}), "items")
        raw_meta = request.get("meta", {})
        if not isinstance(raw_meta, dict):
            raise ValueError("meta must be an object")  # noqa: TRY004 - a bad request
        meta = {normalize_name(n): SecretMeta.from_record(r) for n, r in raw_meta.items()}
        if isinstance(self.backend, SupportsMetadata):
            self.backend.set_with_meta(items, meta)
        elif items:
            self.backend.set_many(items)
        return {}


def _no_password() -> MasterPasswordSource:
    """A password source that never gives one: the agent must never derive a key."""
    return MasterPasswordSource(env={ENV_NO_INPUT: "1"})


def build_file_store(ident: StoreId, data_key: bytes) -> HeldStore:
    """The file store in *ident*'s folder, unlocked with *data_key*; GlassdomeError if it fails."""
    from glassdome.backends.encrypted_file import EncryptedFileBackend
    from glassdome.errors import WrongMasterPassword
    from glassdome.primitives.crypto import adopt_data_key

    backend = EncryptedFileBackend(Path(ident["home"]), _no_password())
    try:
        key = adopt_data_key(ident["key_id"], data_key)
    except ValueError:
        raise WrongMasterPassword("the agent was handed a key that is not a data key") from None
    try:
        backend.hand_over(key)
    except MasterPasswordUnavailable:
        raise WrongMasterPassword("the key handed to the agent does not open this store") from None
    return HeldStore(ident, backend)


def build_keyring_store(ident: StoreId, cache_seconds: float) -> HeldStore:
    """The OS keyring for *ident*'s folder, with a cache of *cache_seconds*."""
    from glassdome.backends.os_keyring import OsKeyringBackend

    backend = OsKeyringBackend(lock_path=Path(ident["home"]) / "keyring.lock")
    state = backend.availability()
    if not state.available:
        raise GlassdomeError(f"the agent cannot reach the OS keyring: {state.reason}")
    return HeldStore(ident, backend, cache_seconds, backend.change_mark)


def build_remote_store(ident: StoreId, env: Mapping[str, str], cache_seconds: float) -> HeldStore:
    """A remote backend (vault, aws) built from *env*, its values cached *cache_seconds*."""
    from glassdome.backends.agent import store_of
    from glassdome.backends.base import BackendContext
    from glassdome.backends.registry import find_backend

    factory = find_backend(ident["backend"])
    if factory is None:
        raise ValueError("no such backend")
    backend = factory(BackendContext(Path(ident["home"]), dict(env), _no_password()))
    state = backend.availability()
    if not state.available:
        raise GlassdomeError(f"the agent cannot use the {backend.name} backend: {state.reason}")
    if store_of(backend, Path(ident["home"]))["key_id"] != ident["key_id"]:
        raise ValueError("the store built differs from the one named")
    return HeldStore(ident, backend, cache_seconds)


class Holdings:
    """Every store held, by (home, backend, key id); thread-safe."""

    def __init__(self) -> None:
        self._stores: dict[tuple[str, str, str], HeldStore] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._stores)

    def add(self, store: HeldStore) -> None:
        """Hold *store*, replacing any other key of the same folder and backend."""
        home, backend = store.ident["home"], store.ident["backend"]
        with self._lock:
            for key in [k for k in self._stores if k[:2] == (home, backend)]:
                del self._stores[key]
            self._stores[_key(store.ident)] = store

    def find(self, store: Mapping[str, Any]) -> HeldStore:
        """The held store a request names, still valid; else `NotHeld` (and it is dropped)."""
        key = _key(store)
        self.sweep()
        with self._lock:
            held = self._stores.get(key)
        if held is None:
            raise NotHeld
        return held

    def sweep(self) -> None:
        """Drop every store whose key file changed (``passwd``, a swapped store)."""
        with self._lock:
            stores = list(self._stores.items())
        for key, held in stores:
            if not held.still_valid():
                self.drop(key)

    def drop(self, key: tuple[str, str, str]) -> None:
        """Forget one store."""
        with self._lock:
            self._stores.pop(key, None)

    def forget(self) -> None:
        """Forget every store."""
        with self._lock:
            self._stores.clear()

    def each(self, action: Callable[[HeldStore], None]) -> None:
        """Call *action* on every held store."""
        with self._lock:
            stores = list(self._stores.values())
        for store in stores:
            action(store)

    def describe(self) -> list[dict[str, str]]:
        """The held stores, for ``agent status`` (no key, no value)."""
        self.sweep()
        with self._lock:
            return [dict(store.ident) for store in self._stores.values()]

    def serve(self, op: str, request: Mapping[str, Any]) -> _Reply:
        """Do a store operation; a store that needs a password it does not have is dropped."""
        store = request.get("store")
        if not isinstance(store, dict):
            raise ValueError("a request names no store")  # noqa: TRY004 - a bad request
        held = self.find(store)
        try:
            return held.serve(op, request)
        except MasterPasswordUnavailable:
            self.drop(_key(store))  # the store changed under the agent (passwd, swapped)
            raise NotHeld from None
