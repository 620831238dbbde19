"""What is known about a stored secret besides its value: provenance, identity, expiry.

A `SecretMeta` never holds secret material. Backends keep it beside the value in the
form they can store: a JSON record (`as_record`, the encrypted file and the keyring)
or a flat map of short strings (`as_strings`, Vault ``custom_metadata`` and AWS tags).
Reading is forgiving: unknown keys (from a newer version) are ignored, so a record
written by a later glassdome still reads; a record that is not one raises ValueError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

__all__ = ["META_VERSION", "SOURCES", "SecretMeta", "now_utc", "stamp"]

META_VERSION = 1
# Where a value came from; a playbook step says ``playbook:<path>#<step id>``.
SOURCES = ("api", "cli", "migrate", "copy", "import")
_TEXT_FIELDS = ("created", "updated", "source", "platform", "expires", "verified", "last_check")
_IDENTITY = "identity."
_MAX_TEXT = 1024


def now_utc() -> str:
    """The current time, UTC, ISO-8601 to the second (``2026-12-06T03:30:00Z``)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class SecretMeta:
    """Provenance and life of one secret; every field optional, none of them secret.

    *identity* holds what names the credential on its platform (a host, a token id,
    an account, a key id); *expires*, *verified* are UTC ISO-8601 times; *last_check*
    is ``ok`` or the one-line reason the last check failed.
    """

    created: str | None = None
    updated: str | None = None
    source: str | None = None
    platform: str | None = None
    identity: Mapping[str, str] = field(default_factory=dict)
    expires: str | None = None
    verified: str | None = None
    last_check: str | None = None

    def as_record(self) -> dict[str, Any]:
        """The versioned JSON-ready record (every field, ``None`` where unknown)."""
        record: dict[str, Any] = {"v": META_VERSION}
        for name in _TEXT_FIELDS:
            record[name] = getattr(self, name)
        record["identity"] = dict(sorted(self.identity.items()))
        return record

    @classmethod
    def from_record(cls, record: Any) -> SecretMeta:
        """Read a record written by `as_record` (of this or a later version)."""
        if not isinstance(record, Mapping) or not isinstance(record.get("v"), int):
            raise ValueError("not a metadata record")  # noqa: TRY004 - callers catch ValueError
        values: dict[str, Any] = {}
        for name in _TEXT_FIELDS:
            value = record.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > _MAX_TEXT):
                raise ValueError(f"metadata field {name} is not a short text")
            values[name] = value
        identity = record.get("identity") or {}
        if not isinstance(identity, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in identity.items()
        ):
            raise ValueError("metadata field identity is not a map of texts")
        return cls(identity=dict(identity), **values)

    def as_json(self) -> str:
        """The record as compact JSON (what the keyring stores)."""
        return json.dumps(self.as_record(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SecretMeta:
        """Read `as_json` text; ValueError if it is not a record."""
        return cls.from_record(json.loads(text))

    def as_strings(self) -> dict[str, str]:
        """A flat map of the fields that are set: ``v``, ``created``, ``identity.host``, ..."""
        flat = {"v": str(META_VERSION)}
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                flat[name] = value
        for key, value in self.identity.items():
            flat[_IDENTITY + key] = value
        return flat

    @classmethod
    def from_strings(cls, flat: Mapping[str, str]) -> SecretMeta | None:
        """Read `as_strings` output; None when *flat* holds no record."""
        if "v" not in flat:
            return None
        record: dict[str, Any] = {"v": 1, "identity": {}}
        for key, value in flat.items():
            if key.startswith(_IDENTITY):
                record["identity"][key.removeprefix(_IDENTITY)] = value
            elif key in _TEXT_FIELDS:
                record[key] = value
        return cls.from_record(record)

    def merged(self, newer: SecretMeta) -> SecretMeta:
        """A copy with every field *newer* sets taken from it (identity keys merged)."""
        changes: dict[str, Any] = {
            f.name: getattr(newer, f.name)
            for f in fields(self)
            if f.name != "identity" and getattr(newer, f.name) is not None
        }
        return replace(self, identity={**self.identity, **newer.identity}, **changes)


def stamp(
    old: SecretMeta | None,
    given: SecretMeta | None,
    *,
    source: str,
    value_changed: bool,
    now: str | None = None,
) -> SecretMeta:
    """The record to store with a write: *old* kept where still true, *given* on top.

    ``created`` is kept from *old*; ``updated`` and ``source`` are this write's when the
    value changed. A new value is not verified yet and its expiry is not known:
    ``verified``, ``last_check`` and ``expires`` are cleared unless *given* sets them
    (platform and identity stay: a new value for the same account).
    """
    when = now or now_utc()
    base = old or SecretMeta(created=when, updated=when, source=source)
    if value_changed:
        base = replace(
            base,
            created=base.created or when,
            updated=when,
            source=source,
            expires=None,
            verified=None,
            last_check=None,
        )
    return base.merged(given) if given is not None else base
