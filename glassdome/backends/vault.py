"""Secrets in OpenBao or HashiCorp Vault's KV version 2 engine, through hvac.

Secret NAME lives at ``<mount>/data/<prefix>/NAME`` with the data
``{"value": "<secret>"}``, so ``bao kv get -mount=secret glassdome/NAME`` (or
``vault kv get``) reads what glassdome writes. Settings come from the standard
variables (``VAULT_ADDR``, ``VAULT_TOKEN`` or AppRole's ``VAULT_ROLE_ID`` and
``VAULT_SECRET_ID``, ``VAULT_CACERT``, ``VAULT_NAMESPACE``) plus
``GLASSDOME_VAULT_MOUNT`` and ``GLASSDOME_VAULT_PREFIX``.

Every write is a check-and-set on the version this backend last read (or
``cas=0``, "only if absent", for a name it never read), so two operators updating
one secret get `SecretConflict`, never a silent overwrite; replacing a value this
process never read fails the same way until it is read. An expired or revoked token is
replaced once by a new AppRole login, or reported; requests never loop.

A secret's metadata record (`SecretMeta`, never a value) lives in the
``custom_metadata`` of the same path; `glassdome.backends.vault_meta` says how.

The settings are read by `glassdome.backends.vault_config`; the client, its
login and the translation of failures into glassdome errors live in
`glassdome.backends.vault_session`. This module holds the KV v2 layout.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from glassdome.backends.base import Availability, BackendContext
from glassdome.backends.vault_config import ENV_MOUNT, VaultConfig
from glassdome.backends.vault_meta import read_metadata, record_in, write_record
from glassdome.backends.vault_session import (
    INSTALL_HINT,
    VaultSession,
    _CasMismatch,
    _Denied,
    _hvac,
)
from glassdome.errors import SecretConflict, SecretStoreError
from glassdome.primitives.names import NAME_RULE

if TYPE_CHECKING:
    from glassdome.primitives.meta import SecretMeta

__all__ = ["FIELD", "INSTALL_HINT", "VaultBackend", "VaultConfig"]

FIELD = "value"

_NAME = re.compile(NAME_RULE)


class VaultBackend:
    """Secrets in a KV v2 mount of OpenBao/Vault; see the module docstring for the layout."""

    name = "vault"

    def __init__(self, config: VaultConfig) -> None:
        self.config = config
        self._session = VaultSession(config)
        self._lock = threading.RLock()  # guards _versions; the session locks its own state
        self._versions: dict[str, int] = {}  # the version each name had when last read/written
        self._availability: Availability | None = None

    @classmethod
    def from_context(cls, context: BackendContext) -> VaultBackend:
        """Build from the environment (see the module docstring for the variables)."""
        return cls(VaultConfig.from_env(context.env))

    def __repr__(self) -> str:
        c = self.config
        return (
            f"VaultBackend(addr={c.addr!r}, mount={c.mount!r}, prefix={c.prefix!r}, "
            f"auth={c.auth!r})"
        )

    @property
    def request_count(self) -> int:
        """HTTP requests made so far, logins and token checks included."""
        return self._session.request_count

    @property
    def _client(self) -> Any:
        # The hvac client in use (None before the first request), so a caller can see
        # which token it holds, e.g. after a new AppRole login.
        return self._session.client

    # -- availability --------------------------------------------------------

    def availability(self) -> Availability:
        """Log in and check the mount is KV v2 (reads only); the answer is kept."""
        if self._availability is None:
            self._availability = self._probe()
        return self._availability

    def _probe(self) -> Availability:
        c = self.config
        try:
            _hvac()
            problem = c.missing()
            if problem is not None:
                return Availability(False, problem)
            self._session.connect()
            mount = self._session.call(
                f"reading the {c.mount}/ mount",
                f"{c.mount}/",
                lambda client: client.adapter.get(f"/v1/sys/internal/ui/mounts/{c.mount}"),
            )
        except _Denied:
            return Availability(
                False,
                f"the token may not use {c.mount}/ on {c.addr} (nothing is mounted there, or no "
                f"policy grants access to it); check {ENV_MOUNT} and the token's policies",
            )
        except SecretStoreError as exc:
            return Availability(False, str(exc))
        data = mount.get("data") or {}
        version = str((data.get("options") or {}).get("version", "1"))
        if data.get("type") != "kv" or version != "2":
            kind = f"kv version {version}" if data.get("type") == "kv" else data.get("type")
            return Availability(
                False,
                f"{c.mount}/ on {c.addr} is a {kind} engine; glassdome needs KV version 2 "
                f"(`bao secrets enable -version=2 -path={c.mount} kv`), or set {ENV_MOUNT}",
            )
        return Availability(True, f"KV v2 at {c.addr}/v1/{c.mount}/data/{c.prefix}/ ({c.auth})")

    # -- the contract --------------------------------------------------------

    def get(self, name: str) -> str | None:
        """Read the latest version; remember its number for the next write's check-and-set."""
        return self._read(name, remember=True)

    def peek(self, name: str) -> str | None:
        """Read the latest version without remembering it (`SupportsPeek`).

        The facade compares a new value with the stored one through this: such a read
        does not count as having read *name* for check-and-set.
        """
        return self._read(name, remember=False)

    def _read(self, name: str, *, remember: bool) -> str | None:
        hvac = _hvac()
        c = self.config
        path = c.path(name)

        def read(client: Any) -> Any:
            try:
                return client.secrets.kv.v2.read_secret_version(
                    path=path, mount_point=c.mount, raise_on_deleted_version=True
                )
            except hvac.exceptions.InvalidPath as exc:
                return exc  # absent, or its latest version deleted by another tool

        found = self._session.call(f"reading {name}", f"{c.mount}/data/{path}", read)
        if isinstance(found, Exception):
            metadata = ((getattr(found, "json", None) or {}).get("data") or {}).get("metadata")
            if remember:
                self._remember(name, int(metadata.get("version", 0)) if metadata else 0)
            return None
        data = found["data"]
        value = (data.get("data") or {}).get(FIELD)
        if not isinstance(value, str):
            raise SecretStoreError(
                f"{c.mount}/{path} at {c.addr} has no text field {FIELD!r} (written by another "
                f"tool?); glassdome stores each secret as {{{FIELD!r}: ...}}"
            )
        if remember:
            self._remember(name, int(data["metadata"]["version"]))
        return value

    def _remember(self, name: str, version: int) -> None:
        with self._lock:
            self._versions[name] = version

    def set(self, name: str, value: str) -> None:
        """One check-and-set write: on the version read, or ``cas=0`` for a name never read."""
        self.set_many({name: value})

    def set_many(self, items: Mapping[str, str]) -> None:
        """KV v2 has no batch write: one check-and-set write per name, one request each.

        A name whose version is known (read or written by this backend) is written on
        that version; a name never read is written with ``cas=0`` ("only if absent"),
        so a value someone else stored is never replaced unread. Names refused by the
        server are collected and reported together in one `SecretConflict` after the
        others are written.
        """
        changed, unread = self._write_values(items)
        if changed or unread:
            raise SecretConflict(self._conflict_message(changed, unread), (*changed, *unread))

    def _write_values(self, items: Mapping[str, str]) -> tuple[list[str], list[str]]:
        """Write each value on its known version; return the names refused (changed, unread)."""
        changed: list[str] = []
        unread: list[str] = []
        for name, value in items.items():
            with self._lock:
                known = self._versions.get(name)
            try:
                self._cas_write(name, value, 0 if known is None else known)
            except _CasMismatch:
                (unread if known is None else changed).append(name)
        return changed, unread

    def _conflict_message(self, changed: list[str], unread: list[str]) -> str:
        addr = self.config.addr
        parts = []
        if changed:
            one = len(changed) == 1
            parts.append(
                f"{', '.join(changed)} changed in {addr} after glassdome read "
                f"{'it' if one else 'them'} (check-and-set failed), so "
                f"{'it was' if one else 'they were'} not overwritten; "
                "read the current value and try again"
            )
        if unread:
            one = len(unread) == 1
            parts.append(
                f"someone else stored {', '.join(unread)} in {addr} and glassdome has not read "
                f"{'it' if one else 'them'}, so {'it was' if one else 'they were'} not "
                "overwritten; read it first (or use --overwrite where a command offers it)"
            )
        return "; ".join(parts)

    def _cas_write(self, name: str, value: str, version: int) -> None:
        c = self.config
        path = c.path(name)
        written = self._session.call(
            f"storing {name}",
            f"{c.mount}/data/{path}",
            lambda client: client.secrets.kv.v2.create_or_update_secret(
                path=path, secret={FIELD: value}, cas=version, mount_point=c.mount
            ),
            values=(value,),
        )
        self._remember(name, int(written["data"]["version"]))

    def delete(self, name: str) -> bool:
        """Remove the metadata and every version; refuse if it changed since it was read."""
        c = self.config
        path = c.path(name)
        where = f"{c.mount}/metadata/{path}"
        data = read_metadata(self._session, c, name)
        if data is None:
            self._remember(name, 0)
            return False
        current = int(data.get("current_version", 0))
        with self._lock:
            known = self._versions.get(name)
        if known is not None and known != current:
            raise SecretConflict(
                f"{name} changed in {c.addr} after glassdome read it (version {known}, now "
                f"{current}), so it was not deleted; read it again and retry",
                (name,),
            )
        latest = (data.get("versions") or {}).get(str(current)) or {}
        existed = not latest.get("deletion_time") and not latest.get("destroyed")
        self._session.call(
            f"deleting {name}",
            where,
            lambda client: client.secrets.kv.v2.delete_metadata_and_all_versions(
                path=path, mount_point=c.mount
            ),
        )
        self._remember(name, 0)
        return existed

    def names(self) -> list[str]:
        """One metadata LIST request (KV v2 does not page it); sub-folders are skipped."""
        hvac = _hvac()
        c = self.config

        def listing(client: Any) -> Any:
            try:
                return client.secrets.kv.v2.list_secrets(path=c.prefix, mount_point=c.mount)
            except hvac.exceptions.InvalidPath:
                return None

        found = self._session.call("listing secrets", f"{c.mount}/metadata/{c.prefix}/", listing)
        keys = ((found or {}).get("data") or {}).get("keys") or []
        return sorted(k for k in keys if isinstance(k, str) and _NAME.fullmatch(k))

    # -- metadata (SupportsMetadata) -------------------------------------------

    def set_with_meta(self, items: Mapping[str, str], meta: Mapping[str, SecretMeta]) -> None:
        """Write the values as `set_many` does, then each record into its custom_metadata.

        Every record is checked against KV v2's limits before anything is written.
        A record costs one metadata read and, if it changed, one metadata write; the
        record of a name whose value was refused (`SecretConflict`) is not written.
        """
        from glassdome.backends.meta_strings import VAULT_METADATA

        flat = {name: VAULT_METADATA.encode(record, name) for name, record in meta.items()}
        changed, unread = self._write_values(items)
        for name, record in flat.items():
            if name not in changed and name not in unread:
                write_record(self._session, self.config, name, record)
        if changed or unread:
            raise SecretConflict(self._conflict_message(changed, unread), (*changed, *unread))

    def get_meta(self, name: str) -> SecretMeta | None:
        """The record of *name*: one metadata read. None when absent or its value is deleted."""
        return record_in(read_metadata(self._session, self.config, name), self.config, name)

    def all_meta(self) -> dict[str, SecretMeta]:
        """Every listed name's record: one LIST, then one metadata read per name.

        KV v2 has no request that returns the custom_metadata of many paths, so this
        costs N + 1 requests for N names.
        """
        found = {name: self.get_meta(name) for name in self.names()}
        return {name: record for name, record in found.items() if record is not None}

    def details(self) -> dict[str, str]:
        """Address, mount, path layout and login method (never the token)."""
        c = self.config
        facts = {
            "address": c.addr or "not set",
            "mount": f"{c.mount}/ (KV version 2)",
            "path": f"{c.mount}/data/{c.prefix}/NAME, field {FIELD!r}",
            "auth": c.auth,
        }
        if c.namespace:
            facts["namespace"] = c.namespace
        if c.cacert:
            facts["CA file"] = c.cacert
        return facts
