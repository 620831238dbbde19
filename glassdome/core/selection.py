"""Which backend holds the secrets: an explicit choice, or auto selection, which is sticky.

``GLASSDOME_SECRETS_BACKEND=auto`` (the default) takes the OS keyring when a secure
one answers, else the encrypted file. Once secrets were stored under auto, the
marker file (`MARKER_FILE` in the store folder) records which backend took them,
so a keyring that is locked today, or unlocked for the first time, never splits
an account's secrets in two. An explicit choice that cannot work is an error,
never a silent fallback. Every choice comes with a `StoreDescription` saying why.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from glassdome.backends.base import (
    MARKER_FILE,
    Availability,
    BackendContext,
    BackendFactory,
    SecretBackend,
    SupportsLocalFiles,
)
from glassdome.errors import BackendUnavailable

__all__ = ["ENV_BACKEND", "StoreDescription", "choose", "choose_auto", "remember_backend"]

ENV_BACKEND = "GLASSDOME_SECRETS_BACKEND"


class StoreDescription(NamedTuple):
    """Which backend was chosen and why; holds no secret value."""

    backend: str
    requested: str
    reason: str
    home: Path
    probes: Mapping[str, Availability] = MappingProxyType({})
    details: Mapping[str, str] = MappingProxyType({})


def _builtin(name: str) -> BackendFactory:
    from glassdome.backends.registry import find_backend

    factory = find_backend(name)
    if factory is None:  # pragma: no cover - built-ins are always there
        raise BackendUnavailable(f"the built-in {name} backend is missing")
    return factory


def _described(
    backend: SecretBackend,
    context: BackendContext,
    requested: str,
    reason: str,
    probes: dict[str, Availability],
) -> tuple[SecretBackend, StoreDescription]:
    return backend, StoreDescription(backend.name, requested, reason, context.home, probes)


def choose(
    requested: str | SecretBackend, context: BackendContext
) -> tuple[SecretBackend, StoreDescription]:
    """The backend *requested* (a name, ``auto``, or a ready object), checked to be usable."""
    if not isinstance(requested, str):
        state = requested.availability()
        if not state.available:
            raise BackendUnavailable(f"the {requested.name} backend cannot be used: {state.reason}")
        return _described(requested, context, requested.name, state.reason, {})
    from glassdome.backends.registry import backend_factories, find_backend

    name = requested.strip().lower()
    if name == "auto":
        return choose_auto(context)
    factory = find_backend(name)
    if factory is None:
        known = ", ".join(["auto", *sorted(backend_factories())])
        raise BackendUnavailable(
            f"{ENV_BACKEND}={requested!r} is not a known backend; choose one of: {known}"
        )
    backend = factory(context)
    state = backend.availability()
    if not state.available:
        raise BackendUnavailable(
            f"{ENV_BACKEND}={name} was asked for, but {state.reason}; "
            f"fix that, or set {ENV_BACKEND}=auto to use what is available"
        )
    return _described(backend, context, name, f"{ENV_BACKEND}={name}", {name: state})


def choose_auto(context: BackendContext) -> tuple[SecretBackend, StoreDescription]:
    """The backend auto selection takes in *context*'s store folder, and why."""
    in_use = _backend_in_use(context)
    if in_use is not None:
        backend = _builtin(in_use)(context)
        state = backend.availability()
        if not state.available:
            raise BackendUnavailable(
                f"this account's secrets are in the {in_use} backend, which cannot be used "
                f"now: {state.reason}; fix that (unlock the keyring), or set "
                f"{ENV_BACKEND} to choose a backend explicitly"
            )
        reason = f"the secrets stored here are in the {in_use} backend ({state.reason})"
        return _described(backend, context, "auto", reason, {in_use: state})
    keyring = _builtin("keyring")(context)
    keyring_state = keyring.availability()
    if keyring_state.available:
        reason = f"a secure OS keyring is available ({keyring_state.reason})"
        return _described(keyring, context, "auto", reason, {"keyring": keyring_state})
    file_backend = _builtin("file")(context)
    file_state = file_backend.availability()
    probes = {"keyring": keyring_state, "file": file_state}
    if not file_state.available:
        raise BackendUnavailable(
            f"no secret backend is usable: keyring: {keyring_state.reason}; "
            f"file: {file_state.reason}"
        )
    reason = f"no usable OS keyring ({keyring_state.reason}), so the encrypted file"
    return _described(file_backend, context, "auto", reason, probes)


def _read_marker(home: Path) -> str:
    try:
        return (home / MARKER_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def _backend_in_use(context: BackendContext) -> str | None:
    """The backend auto selection stored into before, if any."""
    marker = context.home / MARKER_FILE
    try:
        recorded = _read_marker(context.home)
    except OSError as exc:
        raise BackendUnavailable(f"cannot read {marker}: {exc.strerror}") from None
    if recorded in ("keyring", "file"):
        return recorded
    # A store made before the marker existed, or with the file backend chosen explicitly.
    local = _builtin("file")(context)
    if isinstance(local, SupportsLocalFiles) and local.holds_secrets():
        return "file"
    return None


def remember_backend(home: Path, name: str) -> str:
    """Record *name* as auto's backend unless one is recorded; return the recorded one.

    The marker appears whole or not at all (a hard link of a fsynced 0600 temp
    file, which fails if the marker exists), so two first writers cannot both
    record one: the loser reads the winner's choice.
    """
    from glassdome.primitives.atomic import ensure_private_dir, exclusive_create

    recorded = _read_marker(home)
    if recorded:
        return recorded
    ensure_private_dir(home)
    if exclusive_create(home / MARKER_FILE, f"{name}\n".encode()):
        return name
    return _read_marker(home) or name
