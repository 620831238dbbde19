"""The contract every secret backend fulfils, and what a backend is built from.

`SecretBackend` is what every backend does. A backend with more to offer says so
by also matching a small optional Protocol: `SupportsMasterPassword` (a password
glassdome can change), `SupportsLocalFiles` (files in the store folder) and
`SupportsHealthChecks` (findings for ``glassdome secrets doctor``) and
`SupportsMetadata` (a `SecretMeta` record beside each secret). The facade and
the commands ask through these Protocols, never by a backend's class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    from glassdome.primitives.crypto import KdfParams
    from glassdome.primitives.master import MasterPasswordSource
    from glassdome.primitives.meta import SecretMeta
    from glassdome.primitives.sensitive import SecretText

__all__ = [
    "MARKER_FILE",
    "Availability",
    "BackendContext",
    "BackendFactory",
    "Finding",
    "SecretBackend",
    "SupportsHealthChecks",
    "SupportsLocalFiles",
    "SupportsMasterPassword",
    "SupportsMetadata",
    "SupportsPeek",
    "seconds_setting",
]

# In the store folder: the backend auto selection first stored into (written by the facade,
# guarded by the file backend too, since whoever swaps it could redirect the next write).
MARKER_FILE = "backend"


class Availability(NamedTuple):
    """Whether a backend can be used here, and why (or why not)."""

    available: bool
    reason: str


@runtime_checkable
class SecretBackend(Protocol):
    """Where secrets live. Names arrive validated and lower-cased; values arrive checked.

    Implementations hold no secret value in their repr and never log one.
    """

    name: str

    def availability(self) -> Availability:
        """Say whether this backend works here; must write nothing and must not hang."""
        ...

    def get(self, name: str) -> str | None:
        """Return the value stored under *name*, or None."""
        ...

    def set(self, name: str, value: str) -> None:
        """Store *value* under *name*, replacing any previous value."""
        ...

    def set_many(self, items: Mapping[str, str]) -> None:
        """Store several values at once: one unlock, one write where the backend allows."""
        ...

    def delete(self, name: str) -> bool:
        """Remove *name*; return whether it existed."""
        ...

    def names(self) -> list[str]:
        """Return every stored name, sorted."""
        ...

    def details(self) -> dict[str, str]:
        """Return non-secret facts for ``describe()`` and ``doctor`` (paths, classes, ...)."""
        ...


@runtime_checkable
class SupportsMasterPassword(Protocol):
    """A backend protected by a glassdome master password, which it can change."""

    def change_master_password(
        self, old: SecretText, new: SecretText, kdf: KdfParams | None = None
    ) -> str:
        """Protect the store with *new* instead of *old*; return one line saying what happened.

        *kdf* chooses the key derivation for *new* (the backend's default when None).
        """
        ...


@runtime_checkable
class SupportsMetadata(Protocol):
    """A backend that keeps a metadata record (`SecretMeta`, never a value) beside each secret.

    Deleting a secret deletes its record; reading a value never reads a record.
    """

    def get_meta(self, name: str) -> SecretMeta | None:
        """The record stored for *name*, or None (no secret, or stored without one)."""
        ...

    def all_meta(self) -> dict[str, SecretMeta]:
        """The record of every stored secret that has one."""
        ...

    def set_with_meta(self, items: Mapping[str, str], meta: Mapping[str, SecretMeta]) -> None:
        """Store *items* (may be empty) and the records *meta*, in one write where it can.

        *meta* names secrets already stored or stored by this same call.
        """
        ...


@runtime_checkable
class SupportsPeek(Protocol):
    """A backend whose `get` does more than read, with a read that does only that.

    Vault remembers the version `get` read, so that the next write replaces only what
    was read (check-and-set); the facade compares a new value with the stored one
    through `peek`, which must not count as having read it.
    """

    def peek(self, name: str) -> str | None:
        """The value stored under *name*, or None; no other effect."""
        ...


@runtime_checkable
class SupportsLocalFiles(Protocol):
    """A backend that keeps its secrets in files in the store folder."""

    def store_files(self) -> list[Path]:
        """Every file it may create there, existing or not (for permission checks)."""
        ...

    def holds_secrets(self) -> bool:
        """Whether its files show that secrets were stored here; opens and unlocks nothing."""
        ...


class Finding(NamedTuple):
    """One thing a health check found: ``ok``, ``info`` or ``attention``, never a value."""

    name: str
    status: Literal["ok", "info", "attention"]
    detail: str


@runtime_checkable
class SupportsHealthChecks(Protocol):
    """A backend that can judge its own state for ``glassdome secrets doctor``."""

    def health_checks(self) -> list[Finding]:
        """What is right and wrong with the store; reads no secret and asks for no password."""
        ...


def _print_notice(message: str) -> None:
    import sys

    print(f"glassdome: {message}", file=sys.stderr)


class BackendContext(NamedTuple):
    """Everything a backend factory may need: where, which environment, how to ask."""

    home: Path
    env: Mapping[str, str]  # may hold GLASSDOME_MASTER_PASSWORD: kept out of the repr
    password: MasterPasswordSource
    kdf: KdfParams | None = None
    notice: Callable[[str], None] = _print_notice

    def __repr__(self) -> str:
        return f"BackendContext(home={str(self.home)!r}, kdf={self.kdf!r})"


BackendFactory = Callable[[BackendContext], SecretBackend]


def seconds_setting(env: Mapping[str, str], name: str, default: float) -> float:
    """The positive number of seconds the variable *name* gives (*default* when unset).

    Anything else raises `BackendUnavailable` naming the variable and an example.
    """
    from glassdome.errors import BackendUnavailable

    raw = env.get(name, "")
    try:
        seconds = float(raw) if raw else default
    except ValueError:
        seconds = -1.0
    if not seconds > 0:  # refuses nan too
        raise BackendUnavailable(
            f"{name}={raw!r} is not a positive number of seconds; set it to e.g. {default:g}"
        )
    return seconds
