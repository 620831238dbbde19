"""`SecretsManager`: one facade over whichever backend holds the secrets.

```python
from glassdome.core.secrets import get_secrets_manager
secrets = get_secrets_manager()
secrets.set_secret("proxmox_token_value", "new-token")
secrets.get_secret("proxmox_token_value")
```

The backend is chosen on first use (never at import or construction):
``GLASSDOME_SECRETS_BACKEND=auto`` (default) takes the OS keyring when a secure
one answers, else the encrypted file; an explicit choice that cannot work is an
error, never a silent fallback. `describe()` says what was chosen and why.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from glassdome.backends.base import Availability, BackendContext, SecretBackend
from glassdome.errors import BackendUnavailable, SecretStoreError
from glassdome.primitives.master import MasterPasswordSource
from glassdome.primitives.names import check_value, normalize_name
from glassdome.primitives.sensitive import SecretText, Sensitive, reveal

if TYPE_CHECKING:
    from glassdome.primitives.crypto import KdfParams

__all__ = [
    "ENV_BACKEND",
    "ENV_HOME",
    "SecretsManager",
    "StoreDescription",
    "default_home",
    "get_secrets_manager",
    "reset_secrets_manager",
]

ENV_BACKEND = "GLASSDOME_SECRETS_BACKEND"
ENV_HOME = "GLASSDOME_HOME"
# Records which backend auto selection first stored into (see `_choose_auto`).
MARKER_FILE = "backend"


def default_home(env: Mapping[str, str] | None = None) -> Path:
    """``$GLASSDOME_HOME``, or ``~/.glassdome``."""
    env = os.environ if env is None else env
    configured = env.get(ENV_HOME)
    return Path(configured).expanduser() if configured else Path.home() / ".glassdome"


class StoreDescription(NamedTuple):
    """Which backend was chosen and why; holds no secret value."""

    backend: str
    requested: str
    reason: str
    home: Path
    probes: Mapping[str, Availability] = MappingProxyType({})
    details: Mapping[str, str] = MappingProxyType({})


class SecretsManager:
    """Get, set, delete and list secrets in the selected backend.

    *home* defaults to ``$GLASSDOME_HOME`` or ``~/.glassdome``; *backend* is a
    backend name (``auto``, ``keyring``, ``file``, or a plugin's) or a ready
    backend object, defaulting to ``$GLASSDOME_SECRETS_BACKEND`` or ``auto``.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        backend: str | SecretBackend | None = None,
        *,
        env: Mapping[str, str] | None = None,
        password: MasterPasswordSource | None = None,
        kdf: KdfParams | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self._env: Mapping[str, str] = os.environ if env is None else env
        self.home = Path(home).expanduser() if home is not None else default_home(self._env)
        requested = backend if backend is not None else self._env.get(ENV_BACKEND) or "auto"
        self._requested = requested.strip().lower() if isinstance(requested, str) else requested
        self._password = password or MasterPasswordSource(env=self._env)
        self._kdf = kdf
        self._notice = notice
        self._lock = threading.Lock()
        self._backend: SecretBackend | None = None
        self._description: StoreDescription | None = None

    def __repr__(self) -> str:
        chosen = self._backend.name if self._backend is not None else "not selected yet"
        return f"SecretsManager(home={str(self.home)!r}, backend={chosen!r})"

    # -- selection -----------------------------------------------------------

    def _context(self) -> BackendContext:
        # The KDF is the encrypted file's business: it reads GLASSDOME_KDF_* itself.
        if self._notice is None:
            return BackendContext(self.home, self._env, self._password, self._kdf)
        return BackendContext(self.home, self._env, self._password, self._kdf, self._notice)

    def _select(self) -> SecretBackend:
        if self._backend is not None:
            return self._backend
        with self._lock:
            if self._backend is None:
                self._backend, self._description = self._choose()
        return self._backend

    def _choose(self) -> tuple[SecretBackend, StoreDescription]:
        requested = self._requested
        if not isinstance(requested, str):
            state = requested.availability()
            if not state.available:
                raise BackendUnavailable(
                    f"the {requested.name} backend cannot be used: {state.reason}"
                )
            return requested, self._describe(requested, requested.name, state.reason, {})
        from glassdome.backends.registry import backend_factories, find_backend

        name = requested.strip().lower()
        if name == "auto":
            return self._choose_auto()
        factory = find_backend(name)
        if factory is None:
            known = ", ".join(["auto", *sorted(backend_factories())])
            raise BackendUnavailable(
                f"{ENV_BACKEND}={requested!r} is not a known backend; choose one of: {known}"
            )
        backend = factory(self._context())
        state = backend.availability()
        if not state.available:
            raise BackendUnavailable(
                f"{ENV_BACKEND}={name} was asked for, but {state.reason}; "
                f"fix that, or set {ENV_BACKEND}=auto to use what is available"
            )
        return backend, self._describe(backend, name, f"{ENV_BACKEND}={name}", {name: state})

    def _choose_auto(self) -> tuple[SecretBackend, StoreDescription]:
        context = self._context()
        in_use = self._backend_in_use()
        if in_use is not None:
            # Auto is sticky: once an account's secrets live in one backend, a keyring that
            # is locked today (or unlocked for the first time) must not split them in two.
            backend = _builtin(in_use)(context)
            state = backend.availability()
            if not state.available:
                raise BackendUnavailable(
                    f"this account's secrets are in the {in_use} backend, which cannot be used "
                    f"now: {state.reason}; fix that (unlock the keyring), or set "
                    f"{ENV_BACKEND} to choose a backend explicitly"
                )
            return backend, self._describe(
                backend,
                "auto",
                f"the secrets stored here are in the {in_use} backend ({state.reason})",
                {in_use: state},
            )
        keyring = _builtin("keyring")(context)
        keyring_state = keyring.availability()
        if keyring_state.available:
            return keyring, self._describe(
                keyring,
                "auto",
                f"a secure OS keyring is available ({keyring_state.reason})",
                {"keyring": keyring_state},
            )
        file_backend = _builtin("file")(context)
        file_state = file_backend.availability()
        probes = {"keyring": keyring_state, "file": file_state}
        if not file_state.available:
            raise BackendUnavailable(
                f"no secret backend is usable: keyring: {keyring_state.reason}; "
                f"file: {file_state.reason}"
            )
        return file_backend, self._describe(
            file_backend,
            "auto",
            f"no usable OS keyring ({keyring_state.reason}), so the encrypted file",
            probes,
        )

    @property
    def _marker(self) -> Path:
        return self.home / MARKER_FILE

    def _backend_in_use(self) -> str | None:
        """The backend auto selection stored into before, if any."""
        try:
            recorded = self._marker.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            recorded = ""
        except OSError as exc:
            raise BackendUnavailable(f"cannot read {self._marker}: {exc.strerror}") from None
        if recorded in ("keyring", "file"):
            return recorded
        from glassdome.backends.encrypted_file import KEY_FILE, STORE_FILE

        if (self.home / STORE_FILE).exists() or (self.home / KEY_FILE).exists():
            return "file"
        return None

    def _writable(self) -> SecretBackend:
        """The backend to write to: under auto, the one the marker records (claimed first)."""
        backend = self._select()
        if self._requested != "auto":
            return backend
        recorded = self._remember_backend(backend.name)
        if recorded == backend.name:
            return backend
        # Another process chose (and recorded) the other backend between our selection
        # and this write: follow it, or the account's secrets would be split in two.
        with self._lock:
            self._backend, self._description = self._choose_auto()
        return self._backend

    def _remember_backend(self, name: str) -> str:
        """Record *name* as auto's backend unless one is recorded; return the recorded one.

        The marker appears whole or not at all (a hard link of a fsynced 0600 temp
        file, which fails if the marker exists), so two first writers cannot both
        record one: the loser reads the winner's choice.
        """
        from glassdome.primitives.atomic import ensure_private_dir, exclusive_create

        try:
            recorded = self._marker.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            recorded = ""
        if recorded:
            return recorded
        ensure_private_dir(self.home)
        if exclusive_create(self._marker, f"{name}\n".encode()):
            return name
        return self._marker.read_text(encoding="utf-8").strip() or name

    def _describe(
        self, backend: SecretBackend, requested: str, reason: str, probes: dict[str, Availability]
    ) -> StoreDescription:
        return StoreDescription(backend.name, requested, reason, self.home, probes)

    def probe(self, name: str) -> Availability:
        """Build backend *name* here and report its availability (it stores nothing)."""
        from glassdome.backends.registry import find_backend

        factory = find_backend(name)
        if factory is None:
            return Availability(False, f"no backend named {name!r}")
        try:
            return factory(self._context()).availability()
        except SecretStoreError as exc:
            return Availability(False, str(exc))

    @property
    def backend(self) -> SecretBackend:
        """The selected backend object (selecting it on first use)."""
        return self._select()

    @property
    def backend_name(self) -> str:
        """``"keyring"`` or ``"file"`` (or a plugin's name)."""
        return self._select().name

    def describe(self) -> StoreDescription:
        """Which backend holds the secrets, why it was chosen, and where (no values)."""
        backend = self._select()
        base = self._description
        if base is None:  # pragma: no cover - _select always sets both
            raise RuntimeError("backend selected without a description")
        return StoreDescription(
            base.backend, base.requested, base.reason, base.home, base.probes, backend.details()
        )

    # -- secrets -------------------------------------------------------------

    def get_secret(self, name: str) -> str | None:
        """Return the value stored under *name*, or None when there is none."""
        return self._select().get(normalize_name(name))

    def set_secret(self, name: str, value: str | SecretText) -> None:
        """Store *value* under *name*, replacing any previous value."""
        key = normalize_name(name)
        checked = check_value(key, reveal(value))
        self._writable().set(key, checked)

    def set_many(self, items: Mapping[str, str | SecretText]) -> None:
        """Store several secrets with one unlock and one write; all are checked before any is."""
        checked: dict[str, str] = {}
        for name, value in items.items():
            key = normalize_name(name)
            checked[key] = check_value(key, reveal(value))
        if checked:
            self._writable().set_many(checked)

    def delete_secret(self, name: str) -> bool:
        """Delete *name*; return whether it existed."""
        return self._select().delete(normalize_name(name))

    def list_secrets(self) -> list[str]:
        """Return the sorted names of every stored secret (never their values)."""
        return sorted(self._select().names())

    def change_master_password(self, old: str | SecretText, new: str | SecretText) -> str:
        """Give the file store a new data key under *new*; returns what happened to the .bak."""
        from glassdome.backends.encrypted_file import EncryptedFileBackend

        backend = self._select()
        if not isinstance(backend, EncryptedFileBackend):
            raise SecretStoreError(
                f"the {backend.name} backend has no glassdome master password; "
                "it is protected by its own login"
            )
        return backend.change_master_password(_secret(old), _secret(new), self._kdf)


def _builtin(name: str) -> Callable[[BackendContext], SecretBackend]:
    from glassdome.backends.registry import find_backend

    factory = find_backend(name)
    if factory is None:  # pragma: no cover - built-ins are always there
        raise BackendUnavailable(f"the built-in {name} backend is missing")
    return factory


def _secret(value: str | SecretText) -> SecretText:
    return Sensitive(value) if isinstance(value, str) else value


_default: SecretsManager | None = None
_default_lock = threading.Lock()


def get_secrets_manager() -> SecretsManager:
    """Return the process-wide `SecretsManager`, configured from the environment."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = SecretsManager()
    return _default


def reset_secrets_manager() -> None:
    """Forget the process-wide instance (after changing the environment, e.g. in tests)."""
    global _default
    with _default_lock:
        _default = None
