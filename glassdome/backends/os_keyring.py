"""The OS keyring (Secret Service, Keychain, Credential Manager) through the ``keyring`` library.

One entry per secret under service ``glassdome`` with the secret's name as the
user name, so ``secret-tool lookup service glassdome username NAME`` and
``keyring get glassdome NAME`` read what glassdome writes. Keyrings cannot
list their entries, so the names are also kept in an index entry whose user
name (``_glassdome_index``) can never be a secret name.

A secret's metadata record (`SecretMeta`, never a value) is a second entry, under
service ``glassdome-meta`` with the same user name, holding the record as JSON.
`get` never reads it; deleting a secret deletes it.

Every write through glassdome, in any process, puts a new random mark in
``keyring.changed`` beside the index lock (`change_mark`): the unlock agent's cache
of keyring values compares it before it answers from the cache.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from glassdome.backends.base import Availability, BackendContext, seconds_setting
from glassdome.backends.keyring_choice import insecurity, secure_choice
from glassdome.backends.keyring_choice import qualname as _qualname
from glassdome.backends.keyring_mark import CHANGE_FILE, read_change_mark, write_change_mark
from glassdome.errors import BackendUnavailable, SecretStoreError, StoreBusy, StoreCorrupted
from glassdome.primitives.atomic import ensure_private_dir

if TYPE_CHECKING:
    from filelock import FileLock
    from keyring.backend import KeyringBackend

    from glassdome.primitives.meta import SecretMeta

__all__ = ["INDEX_ENTRY", "META_SERVICE", "SERVICE", "OsKeyringBackend", "insecurity"]

SERVICE = "glassdome"
META_SERVICE = "glassdome-meta"
INDEX_ENTRY = "_glassdome_index"
ENV_TIMEOUT = "GLASSDOME_KEYRING_TIMEOUT"
DEFAULT_TIMEOUT = 3.0
_LOCK_TIMEOUT = 30.0
_READ_ATTEMPTS = 3  # an entry replaced while it is read is read again


class OsKeyringBackend:
    """Secrets in the OS keyring; see the module docstring for the layout."""

    name = "keyring"

    def __init__(
        self,
        keyring_backend: KeyringBackend | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        lock_path: Path | None = None,
    ) -> None:
        self._explicit = keyring_backend
        self._backend: KeyringBackend | None = keyring_backend
        self._timeout = timeout
        self._lock_path = lock_path
        self._availability: Availability | None = None
        self._skipped: tuple[str, ...] = ()

    @classmethod
    def from_context(cls, context: BackendContext) -> OsKeyringBackend:
        """Build from the environment: ``GLASSDOME_KEYRING_TIMEOUT`` bounds the probe."""
        timeout = seconds_setting(context.env, ENV_TIMEOUT, DEFAULT_TIMEOUT)
        return cls(timeout=timeout, lock_path=context.home / "keyring.lock")

    def __repr__(self) -> str:
        return f"OsKeyringBackend(keyring={_qualname(self._backend) if self._backend else None})"

    # -- availability --------------------------------------------------------

    def availability(self) -> Availability:
        """Probe the keyring with one read, in a thread that is abandoned after the timeout."""
        if self._availability is None:
            self._availability = self._probe()
        return self._availability

    def _probe(self) -> Availability:
        outcome: list[Availability] = []

        def probe() -> None:
            try:
                backend = self._backend
                if backend is None:
                    import keyring

                    backend = keyring.get_keyring()
                choice = secure_choice(backend)
                if choice.backend is None:
                    reason = str(choice.reason)
                    if "no usable OS keyring" not in reason:
                        reason = f"no usable OS keyring: {reason}"
                    outcome.append(Availability(False, reason))
                    return
                # A read: the probe writes nothing, and never touches a skipped member.
                choice.backend.get_password(SERVICE, INDEX_ENTRY)
                self._backend, self._skipped = choice.backend, choice.skipped
                said = f" ({choice.note})" if choice.note else ""
                outcome.append(Availability(True, f"{_qualname(choice.backend)} answered{said}"))
            except Exception as exc:  # noqa: BLE001 - any failure of the OS keyring means "unavailable"
                outcome.append(
                    Availability(False, f"the OS keyring failed: {type(exc).__name__}: {exc}")
                )

        # A locked Secret Service or a D-Bus that never answers must not hang us:
        # the probe runs in a daemon thread that is left behind after the timeout.
        thread = threading.Thread(target=probe, name="glassdome-keyring-probe", daemon=True)
        thread.start()
        thread.join(self._timeout)
        if not outcome:
            return Availability(
                False,
                f"the OS keyring did not answer within {self._timeout:g}s "
                f"(locked, or no D-Bus session; {ENV_TIMEOUT} sets the limit)",
            )
        return outcome[0]

    def _keyring(self) -> KeyringBackend:
        state = self.availability()
        if not state.available:
            raise BackendUnavailable(f"the OS keyring cannot be used: {state.reason}")
        assert self._backend is not None  # noqa: S101 - set by a successful probe
        return self._backend

    @contextmanager
    def _guard(self, doing: str, values: Iterable[str] = ()) -> Iterator[None]:
        """Turn the keyring's own failures (locked, D-Bus gone, ...) into one glassdome error."""
        try:
            yield
        except SecretStoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - keyring backends raise anything
            detail = f"{type(exc).__name__}: {exc}"
            for value in values:  # an error must never quote what was being stored
                detail = detail.replace(value, "***")
            raise BackendUnavailable(
                f"the OS keyring failed while {doing} ({detail}); unlock it or check that "
                "its service is running"
            ) from None

    # -- index ---------------------------------------------------------------

    def _lock(self) -> FileLock | None:
        # Imported here: only writes take the lock, and a `get` should not pay for filelock.
        from filelock import FileLock

        if self._lock_path is None:
            return None
        ensure_private_dir(self._lock_path.parent)
        return FileLock(self._lock_path, timeout=_LOCK_TIMEOUT, mode=0o600, preserve_lock_file=True)

    def _read(self, service: str, name: str) -> str | None:
        """``get_password``, read again when the entry was replaced between finding and reading it.

        The Secret Service finds an item, then reads it: a writer in another process that
        replaces the item in between makes the read fail with ``ItemNotFoundException``.
        """
        for attempt in range(_READ_ATTEMPTS):
            try:
                value: str | None = self._keyring().get_password(service, name)
            except Exception as exc:
                if type(exc).__name__ != "ItemNotFoundException" or attempt == _READ_ATTEMPTS - 1:
                    raise
            else:
                return value
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_index(self) -> set[str]:
        raw = self._read(SERVICE, INDEX_ENTRY)
        if not raw:
            return set()
        try:
            names = json.loads(raw)
        except json.JSONDecodeError:
            return set()
        return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()

    def _write_index(self, names: set[str]) -> None:
        keyring = self._keyring()
        if names:
            keyring.set_password(SERVICE, INDEX_ENTRY, json.dumps(sorted(names)))
        elif keyring.get_password(SERVICE, INDEX_ENTRY) is not None:
            keyring.delete_password(SERVICE, INDEX_ENTRY)

    def _update(
        self,
        items: Mapping[str, str],
        removed: str | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> bool:
        """Write *items* and the JSON records *meta*, or delete *removed* and its record.

        All under the index lock; a record goes only to a name stored or being stored.
        Return whether *removed* existed.
        """
        from filelock import Timeout

        lock = self._lock()
        try:
            if lock is not None:
                lock.acquire()
        except Timeout:
            raise StoreBusy(
                f"another process has held {self._lock_path} for {_LOCK_TIMEOUT:g}s; "
                "try again when it has finished"
            ) from None
        try:
            try:
                existed = self._write_entries(items, removed, meta or {})
            except BaseException:
                with suppress(SecretStoreError):  # some entries may have changed all the same
                    self._mark_changed()
                raise
            self._mark_changed()
            return existed
        finally:
            if lock is not None:
                lock.release()

    def _write_entries(
        self, items: Mapping[str, str], removed: str | None, meta: Mapping[str, str]
    ) -> bool:
        """`_update`'s keyring calls, under its lock; whether *removed* existed."""
        with self._guard("deleting" if removed else "storing", items.values()):
            keyring = self._keyring()
            index = self._read_index()
            existed = False
            for name, value in items.items():
                keyring.set_password(SERVICE, name, value)
            for name, record in meta.items():
                if name in items or name in index:
                    keyring.set_password(META_SERVICE, name, record)
            if removed is not None:
                existed = keyring.get_password(SERVICE, removed) is not None
                if existed:
                    keyring.delete_password(SERVICE, removed)
                self._delete_record(keyring, removed)
            new_index = (index | set(items)) - ({removed} if removed else set())
            if new_index != index:
                self._write_index(new_index)
            return existed

    def _mark_changed(self) -> None:
        """A new change mark (under the index lock): caches of this keyring are stale now."""
        if self._lock_path is not None:
            write_change_mark(self._lock_path.with_name(CHANGE_FILE))

    def change_mark(self) -> bytes:
        """The mark the last write through glassdome left; b"" if none (or unreadable)."""
        if self._lock_path is None:
            return b""
        return read_change_mark(self._lock_path.with_name(CHANGE_FILE))

    @staticmethod
    def _delete_record(keyring: KeyringBackend, name: str) -> None:
        from keyring.errors import PasswordDeleteError

        with suppress(PasswordDeleteError):  # stored without a record
            keyring.delete_password(META_SERVICE, name)

    # -- the contract --------------------------------------------------------

    def get(self, name: str) -> str | None:
        """Return the stored value or None."""
        with self._guard(f"reading {name}"):
            return self._read(SERVICE, name)

    def set(self, name: str, value: str) -> None:
        """Store one value and record its name in the index."""
        self._update({name: value})

    def set_many(self, items: Mapping[str, str]) -> None:
        """Store several values with one index update."""
        if items:
            self._update(items)

    def delete(self, name: str) -> bool:
        """Delete the entry and drop it from the index."""
        return self._update({}, removed=name)

    def names(self) -> list[str]:
        """Every name glassdome stored in this keyring."""
        with self._guard("listing"):
            return sorted(self._read_index())

    # -- metadata (SupportsMetadata) -------------------------------------------

    def set_with_meta(self, items: Mapping[str, str], meta: Mapping[str, SecretMeta]) -> None:
        """Store the values, then one JSON entry per record, with one index update.

        A record for a name that is neither stored nor in *items* is not written.
        """
        records = {name: record.as_json() for name, record in meta.items()}
        if items or records:
            self._update(items, meta=records)

    def get_meta(self, name: str) -> SecretMeta | None:
        """The record stored for *name* (one keyring read), or None."""
        with self._guard(f"reading the metadata of {name}"):
            raw = self._read(META_SERVICE, name)
        return None if raw is None else self._record(name, raw)

    def all_meta(self) -> dict[str, SecretMeta]:
        """The record of every listed name that has one: one keyring read per name."""
        found: dict[str, SecretMeta] = {}
        with self._guard("reading metadata"):
            for name in sorted(self._read_index()):
                raw = self._read(META_SERVICE, name)
                if raw is not None:
                    found[name] = self._record(name, raw)
        return found

    @staticmethod
    def _record(name: str, raw: str) -> SecretMeta:
        from glassdome.primitives.meta import SecretMeta  # metadata is never read by `get`

        try:
            return SecretMeta.from_json(raw)
        except ValueError as exc:  # json.JSONDecodeError is one
            raise StoreCorrupted(
                f"the keyring entry {META_SERVICE}/{name} is not a glassdome metadata record "
                f"({exc}); delete it (`secret-tool clear service {META_SERVICE} username "
                f"{name}`) and store the secret again"
            ) from None

    def details(self) -> dict[str, str]:
        """Which keyring class is in use and the service name."""
        facts = {
            "keyring": _qualname(self._backend) if self._backend is not None else "not probed",
            "service": SERVICE,
        }
        if self._skipped:
            facts["keyring skipped"] = "; ".join(self._skipped) + " (never read or written)"
        return facts
