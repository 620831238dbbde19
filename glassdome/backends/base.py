"""The contract every secret backend fulfils, and what a backend is built from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    from glassdome.primitives.crypto import KdfParams
    from glassdome.primitives.master import MasterPasswordSource

__all__ = ["Availability", "BackendContext", "BackendFactory", "SecretBackend", "seconds_setting"]


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
