"""A store served by the unlock agent: every read and write goes through its socket.

`through_agent` wraps the backend selection chose when the agent holds that very
store (its folder, backend and key id); the facade then talks to the agent and
never derives a key. When the agent stops answering for the store (locked, timed
out, killed, the store changed under it), the wrapper falls back for good to the
backend it wraps, which unlocks the store itself the usual way.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassdome.backends.base import Availability, Finding, SecretBackend
from glassdome.errors import SecretStoreError
from glassdome.primitives.agent_wire import AgentMiss, StoreId, agent_disabled, request, store_id

if TYPE_CHECKING:
    from glassdome.primitives.crypto import KdfParams
    from glassdome.primitives.meta import SecretMeta
    from glassdome.primitives.sensitive import SecretText

__all__ = ["AgentBackend", "AgentFileBackend", "store_of", "through_agent"]

AGENT_BACKENDS = ("file", "keyring")  # what the agent holds; remote ones only on request
ENV_CACHE_REMOTE = "GLASSDOME_AGENT_CACHE_REMOTE"


def store_of(backend: SecretBackend, home: Path) -> StoreId:
    """The agent's name for *backend*'s store: a remote one is known by its details' digest."""
    store = store_id(home, backend.name)
    if backend.name not in AGENT_BACKENDS:
        import hashlib
        import json

        facts = json.dumps(backend.details(), sort_keys=True).encode()
        store["key_id"] = hashlib.sha256(facts).hexdigest()[:32]
    return store


def _error(reply: Mapping[str, Any]) -> SecretStoreError:
    """The error the agent reported, as its own class where it is one of glassdome's."""
    import glassdome.errors as errors

    kind = getattr(errors, str(reply.get("kind") or ""), None)
    message = str(reply.get("message") or "the agent failed")
    if isinstance(kind, type) and issubclass(kind, SecretStoreError):
        return kind(message)
    return SecretStoreError(f"the unlock agent: {message}")


class AgentBackend:
    """*inner*'s store, served by the agent; *inner* itself once the agent stops serving it."""

    def __init__(self, inner: SecretBackend, store: StoreId, env: Mapping[str, str]) -> None:
        self.inner = inner
        self.name = inner.name
        self._store = store
        self._env = env
        self._fallen = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"

    def _ask(self, op: str, **arguments: Any) -> dict[str, Any] | None:
        """The agent's reply, or None once it no longer serves this store."""
        if self._fallen:
            return None
        try:
            reply = request({"op": op, "store": self._store, **arguments}, self._env)
        except AgentMiss:
            reply = {"error": "not-held"}
        if reply.get("ok"):
            return reply
        if reply.get("error") in ("not-held", "refused"):
            self._fallen = True
            return None
        raise _error(reply)

    @property
    def served(self) -> bool:
        """Whether the agent still serves this store (as far as the last request showed)."""
        return not self._fallen

    def availability(self) -> Availability:
        """The wrapped backend's (checked when it was selected)."""
        return self.inner.availability()

    def details(self) -> dict[str, str]:
        """The wrapped backend's facts, and that the agent serves it."""
        facts = self.inner.details()
        if self.served:
            facts["unlock agent"] = "unlocked in the agent (`glassdome agent status`)"
        return facts

    def get(self, name: str) -> str | None:
        """The value, from the agent."""
        reply = self._ask("get", name=name)
        if reply is None:
            return self.inner.get(name)
        value = reply.get("value")
        return value if isinstance(value, str) else None

    def names(self) -> list[str]:
        """Every name, from the agent."""
        reply = self._ask("names")
        if reply is None:
            return self.inner.names()
        return [str(name) for name in reply.get("names", [])]

    def set(self, name: str, value: str) -> None:
        """Store one value through the agent."""
        self.set_with_meta({name: value}, {})

    def set_many(self, items: Mapping[str, str]) -> None:
        """Store several values through the agent (one write)."""
        self.set_with_meta(items, {})

    def set_with_meta(self, items: Mapping[str, str], meta: Mapping[str, SecretMeta]) -> None:
        """Store values and records through the agent (one write)."""
        records = {name: record.as_record() for name, record in meta.items()}
        if self._ask("set", items=dict(items), meta=records) is not None:
            return
        if meta and hasattr(self.inner, "set_with_meta"):
            self.inner.set_with_meta(items, meta)
        elif items:
            self.inner.set_many(items)

    def delete(self, name: str) -> bool:
        """Delete through the agent; whether it existed."""
        reply = self._ask("delete", name=name)
        return self.inner.delete(name) if reply is None else bool(reply.get("existed"))

    def get_meta(self, name: str) -> SecretMeta | None:
        """The record of *name*, from the agent."""
        from glassdome.primitives.meta import SecretMeta

        reply = self._ask("get_meta", name=name)
        if reply is None:
            getter = getattr(self.inner, "get_meta", None)
            return None if getter is None else getter(name)
        record = reply.get("record")
        return None if record is None else SecretMeta.from_record(record)

    def all_meta(self) -> dict[str, SecretMeta]:
        """Every record, from the agent."""
        from glassdome.primitives.meta import SecretMeta

        reply = self._ask("all_meta")
        if reply is None:
            getter = getattr(self.inner, "all_meta", None)
            return {} if getter is None else dict(getter())
        return {str(n): SecretMeta.from_record(r) for n, r in reply.get("records", {}).items()}


class AgentFileBackend(AgentBackend):
    """The encrypted file store through the agent; its files and password stay its own."""

    def store_files(self) -> list[Path]:
        """The wrapped store's files."""
        return list(self.inner.store_files())  # type: ignore[attr-defined]

    def holds_secrets(self) -> bool:
        """Whether the wrapped store's files are there."""
        return bool(self.inner.holds_secrets())  # type: ignore[attr-defined]

    def health_checks(self) -> list[Finding]:
        """The wrapped store's findings."""
        return list(self.inner.health_checks())  # type: ignore[attr-defined]

    def change_master_password(
        self, old: SecretText, new: SecretText, kdf: KdfParams | None = None
    ) -> str:
        """Change it in this process (the agent then drops the store: its key id changed)."""
        said: str = self.inner.change_master_password(old, new, kdf)  # type: ignore[attr-defined]
        self._fallen = True
        return said


def through_agent(backend: SecretBackend, home: Path, env: Mapping[str, str]) -> SecretBackend:
    """*backend* served by the agent when it holds this store; else *backend* itself."""
    if agent_disabled(env):
        return backend
    store = store_of(backend, home)
    try:
        reply = request({"op": "holds", "store": store}, env, timeout=5.0)
    except AgentMiss:
        return backend
    if not reply.get("ok"):
        return backend
    wrapper = AgentFileBackend if backend.name == "file" else AgentBackend
    return wrapper(backend, store, env)
