"""Which keyring backend may hold secrets: a secure one, or a chain's secure members alone.

`insecurity` says why a keyring backend cannot hold secrets (it stores nothing, stores
in plain text, or keyring itself does not recommend it). `secure_choice` picks what
glassdome uses from what ``keyring.get_keyring()`` returned: a secure backend as it is;
from keyring's ``ChainerBackend`` (what keyring returns when, say, keyrings.alt's
``PlaintextKeyring`` is installed beside the Secret Service) its highest-priority
secure member alone, so the insecure members are never read from or written to. A
chain with no secure member is refused, as any insecure backend is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = ["KeyringChoice", "insecurity", "qualname", "secure_choice"]

# Backends that store nothing, or store in plain text, are never a secret store.
_INSECURE = {
    "keyring.backends.fail.Keyring": "keyring found no usable OS keyring (its 'fail' backend)",
    "keyring.backends.null.Keyring": "the 'null' keyring stores nothing",
    "keyrings.alt.file.PlaintextKeyring": "keyrings.alt's PlaintextKeyring stores in plain text",
}


def qualname(obj: object) -> str:
    """``module.Class`` of *obj*'s class, as keyring names its backends."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def insecurity(backend: KeyringBackend) -> str | None:
    """Return why *backend* (a keyring backend) cannot hold secrets, or None when it can.

    A chain is judged whole here: any unsuitable member makes it unsuitable. What
    glassdome uses of a chain is `secure_choice`'s business.
    """
    from keyring.backends.chainer import ChainerBackend

    name = qualname(backend)
    if name in _INSECURE:
        return _INSECURE[name]
    if isinstance(backend, ChainerBackend):
        chained = list(backend.backends)
        if not chained:
            return "keyring's chainer has no backends to chain"
        for inner in chained:
            reason = insecurity(inner)
            if reason is not None:
                return f"keyring chains an unsuitable backend: {reason}"
        return None
    try:
        priority = float(backend.priority)
    except Exception as exc:  # noqa: BLE001 - a backend's priority probe may raise anything
        return f"{name} is not usable here ({type(exc).__name__}: {exc})"
    if priority < 1:
        # keyring's own rule (keyring.core.recommended): below 1 is not recommended.
        return f"{name} has priority {priority}, which keyring does not recommend"
    return None


@dataclass(frozen=True, slots=True)
class KeyringChoice:
    """The backend to use (None: none is secure), why not, and the chain members skipped."""

    backend: KeyringBackend | None
    reason: str | None = None
    skipped: tuple[str, ...] = ()  # "module.Class (why)" of each insecure chain member

    @property
    def note(self) -> str:
        """How the backend was chosen from a chain ('' when it was not a chain)."""
        if not self.skipped:
            return ""
        names = ", ".join(entry.partition(" (")[0] for entry in self.skipped)
        return f"the secure member of keyring's chain; insecure members skipped: {names}"


def secure_choice(backend: KeyringBackend) -> KeyringChoice:
    """What glassdome may use of *backend*: itself, a chain's best secure member, or nothing."""
    from keyring.backends.chainer import ChainerBackend

    if not isinstance(backend, ChainerBackend) or insecurity(backend) is None:
        reason = insecurity(backend)
        return KeyringChoice(None if reason else backend, reason)
    chained = list(backend.backends)  # keyring orders them by priority, highest first
    secure = [inner for inner in chained if insecurity(inner) is None]
    skipped = tuple(
        f"{qualname(inner)} ({insecurity(inner)})" for inner in chained if inner not in secure
    )
    if not secure:
        return KeyringChoice(None, insecurity(backend), skipped)
    best = max(secure, key=lambda inner: float(inner.priority))
    return KeyringChoice(best, None, skipped)
