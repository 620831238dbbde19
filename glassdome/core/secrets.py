"""`SecretsManager`: one facade over whichever backend holds the secrets.

```python
from glassdome.core.secrets import get_secrets_manager
secrets = get_secrets_manager()
secrets.set_secret("proxmox_token_value", "new-token")
secrets.get_secret("proxmox_token_value")
```

The backend is chosen on first use (never at import or construction), as
`glassdome.core.selection` describes: ``GLASSDOME_SECRETS_BACKEND=auto`` (default)
takes the OS keyring when a secure one answers, else the encrypted file; an
explicit choice that cannot work is an error, never a silent fallback.
`describe()` says what was chosen and why.

When the store needs its master password and nothing in the environment gives
it, it asks on the terminal: through the prompt a command passes (its
`glassdome.ui.console.Terminal`, so the question goes where the command's other
output goes), else through `getpass`. Python code may pass its own::

    get_secrets_manager(prompt=Terminal())   # glassdome's Rich prompt on stderr
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from glassdome.backends.base import (
    MARKER_FILE,
    Availability,
    BackendContext,
    SecretBackend,
    SupportsMasterPassword,
    SupportsMetadata,
    SupportsPeek,
)
from glassdome.core.selection import ENV_BACKEND, StoreDescription, choose, remember_backend
from glassdome.errors import SecretStoreError
from glassdome.primitives.master import MasterPasswordSource, PasswordPrompt
from glassdome.primitives.names import check_value, normalize_name
from glassdome.primitives.sensitive import SecretText, Sensitive, reveal

if TYPE_CHECKING:
    from glassdome.primitives.crypto import KdfParams
    from glassdome.primitives.meta import SecretMeta

__all__ = [
    "ENV_BACKEND",
    "ENV_HOME",
    "MARKER_FILE",
    "SecretsManager",
    "StoreDescription",
    "default_home",
    "get_secrets_manager",
    "reset_secrets_manager",
]

ENV_HOME = "GLASSDOME_HOME"


def default_home(env: Mapping[str, str] | None = None) -> Path:
    """``$GLASSDOME_HOME``, or ``~/.glassdome``."""
    env = os.environ if env is None else env
    configured = env.get(ENV_HOME)
    return Path(configured).expanduser() if configured else Path.home() / ".glassdome"


class SecretsManager:
    """Get, set, delete and list secrets in the selected backend.

    *home* defaults to ``$GLASSDOME_HOME`` or ``~/.glassdome``; *backend* is a
    backend name (``auto``, ``keyring``, ``file``, or a plugin's) or a ready
    backend object, defaulting to ``$GLASSDOME_SECRETS_BACKEND`` or ``auto``.
    *prompt* is where a master password is asked for (see the module docstring);
    *password* replaces the whole password source.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        backend: str | SecretBackend | None = None,
        *,
        env: Mapping[str, str] | None = None,
        password: MasterPasswordSource | None = None,
        prompt: PasswordPrompt | None = None,
        kdf: KdfParams | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self._env: Mapping[str, str] = os.environ if env is None else env
        self.home = Path(home).expanduser() if home is not None else default_home(self._env)
        requested = backend if backend is not None else self._env.get(ENV_BACKEND) or "auto"
        self._requested = requested.strip().lower() if isinstance(requested, str) else requested
        self._password = password or MasterPasswordSource(env=self._env, prompt=prompt)
        self._kdf = kdf
        self._notice = notice
        self._lock = threading.Lock()
        self._backend: SecretBackend | None = None
        self._description: StoreDescription | None = None

    def __repr__(self) -> str:
        chosen = self._backend.name if self._backend is not None else "not selected yet"
        return f"SecretsManager(home={str(self.home)!r}, backend={chosen!r})"

    def use_prompt(self, prompt: PasswordPrompt) -> None:
        """Ask for the master password through *prompt* from now on (a command's terminal)."""
        self._password.prompt = prompt

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
        from glassdome.backends.agent import through_agent  # the unlock agent, if it holds it

        backend, description = choose(self._requested, self._context())
        ready = not isinstance(self._requested, str)  # a backend object is used as given
        return (backend if ready else through_agent(backend, self.home, self._env)), description

    def _writable(self) -> SecretBackend:
        """The backend to write to: under auto, the one the marker records (claimed first)."""
        backend = self._select()
        if self._requested != "auto":
            return backend
        recorded = remember_backend(self.home, backend.name)
        if recorded == backend.name:
            return backend
        # Another process chose (and recorded) the other backend between our selection
        # and this write: follow it, or the account's secrets would be split in two.
        with self._lock:
            self._backend, self._description = self._choose()
        return self._backend

    def build(self, name: str) -> SecretBackend | None:
        """Backend *name* built for this home and environment, not selected; None if unknown.

        Building reads and writes nothing; what the caller asks of it may.
        """
        from glassdome.backends.registry import find_backend

        factory = find_backend(name)
        return None if factory is None else factory(self._context())

    def probe(self, name: str) -> Availability:
        """Build backend *name* here and report its availability (it stores nothing)."""
        try:
            backend = self.build(name)
            if backend is None:
                return Availability(False, f"no backend named {name!r}")
            return backend.availability()
        except SecretStoreError as exc:
            return Availability(False, str(exc))

    @property
    def env(self) -> Mapping[str, str]:
        """The environment this store reads its settings from."""
        return self._env

    @property
    def password_origin(self) -> str:
        """Where a master password would come from (``prompt``, ``none``, a variable)."""
        return self._password.origin()

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

    def set_secret(
        self,
        name: str,
        value: str | SecretText,
        *,
        meta: SecretMeta | None = None,
        source: str = "api",
    ) -> None:
        """Store *value* under *name*, replacing any previous value.

        Where the backend keeps metadata, the secret's record is written with it: *meta*
        (platform, identity, expiry) on top of what was known, *source* saying where the
        value came from (``cli``, ``migrate``, ``playbook:<path>#<step>``, ...).
        """
        self.set_many({name: value}, meta={name: meta} if meta is not None else None, source=source)

    def set_many(
        self,
        items: Mapping[str, str | SecretText],
        *,
        meta: Mapping[str, SecretMeta] | None = None,
        source: str = "api",
    ) -> None:
        """Store several secrets with one unlock and one write; all are checked before any is.

        *meta* and *source* as for `set_secret`, per name.
        """
        checked: dict[str, str] = {}
        for name, value in items.items():
            key = normalize_name(name)
            checked[key] = check_value(key, reveal(value))
        if not checked:
            return
        backend = self._writable()
        if not isinstance(backend, SupportsMetadata):
            backend.set_many(checked)
            return
        from glassdome.primitives.meta import stamp  # metadata is for writes, not `get`

        given = {normalize_name(name): record for name, record in (meta or {}).items()}
        read = backend.peek if isinstance(backend, SupportsPeek) else backend.get
        records = {
            key: stamp(
                backend.get_meta(key),
                given.get(key),
                source=source,
                value_changed=read(key) != value,
            )
            for key, value in checked.items()
        }
        backend.set_with_meta(checked, records)

    def get_meta(self, name: str) -> SecretMeta | None:
        """The metadata record of *name* (never its value); None if the backend keeps none."""
        backend = self._select()
        if not isinstance(backend, SupportsMetadata):
            return None
        return backend.get_meta(normalize_name(name))

    def list_meta(self) -> dict[str, SecretMeta | None]:
        """Every stored name with its metadata record (None where there is none)."""
        backend = self._select()
        records = backend.all_meta() if isinstance(backend, SupportsMetadata) else {}
        return {name: records.get(name) for name in sorted(backend.names())}

    def update_meta(self, name: str, meta: SecretMeta) -> None:
        """Set the fields *meta* sets on *name*'s record (e.g. ``verified``); value untouched.

        Does nothing where the backend keeps no metadata or *name* is not stored.
        """
        self.update_many_meta({name: meta})

    def update_many_meta(self, changes: Mapping[str, SecretMeta]) -> None:
        """`update_meta` for several names in one write (where the backend allows)."""
        backend = self._writable()
        if not changes or not isinstance(backend, SupportsMetadata):
            return
        from glassdome.primitives.meta import SecretMeta

        stored = set(backend.names())
        records = {}
        for name, meta in changes.items():
            key = normalize_name(name)
            if key in stored:
                records[key] = (backend.get_meta(key) or SecretMeta()).merged(meta)
        if records:
            backend.set_with_meta({}, records)

    def delete_secret(self, name: str) -> bool:
        """Delete *name*; return whether it existed."""
        return self._select().delete(normalize_name(name))

    def list_secrets(self) -> list[str]:
        """Return the sorted names of every stored secret (never their values)."""
        return sorted(self._select().names())

    def require_master_password(self) -> SupportsMasterPassword:
        """The selected backend, if a glassdome master password protects it; else an error.

        Commands call it before asking for any password, so nobody types one in vain.
        """
        backend = self._select()
        if not isinstance(backend, SupportsMasterPassword):
            raise SecretStoreError(
                f"the {backend.name} backend has no glassdome master password; "
                "it is protected by its own login"
            )
        return backend

    def change_master_password(self, old: str | SecretText, new: str | SecretText) -> str:
        """Protect the store with *new* instead of *old*; returns what happened to the backup."""
        backend = self.require_master_password()
        return backend.change_master_password(_secret(old), _secret(new), self._kdf)


def _secret(value: str | SecretText) -> SecretText:
    return Sensitive(value) if isinstance(value, str) else value


_default: SecretsManager | None = None
_default_lock = threading.Lock()


def get_secrets_manager(prompt: PasswordPrompt | None = None) -> SecretsManager:
    """Return the process-wide `SecretsManager`, configured from the environment.

    *prompt*, when given, is where it asks for the master password from then on: a
    command passes its `Terminal`. Without one it asks through `getpass` on a terminal.
    """
    global _default
    manager = _default
    if manager is not None and prompt is None:
        return manager
    with _default_lock:
        if _default is None:
            _default = SecretsManager(prompt=prompt)
        elif prompt is not None:
            _default.use_prompt(prompt)
        return _default


def reset_secrets_manager() -> None:
    """Forget the process-wide instance (after changing the environment, e.g. in tests)."""
    global _default
    with _default_lock:
        _default = None
