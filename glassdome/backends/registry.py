"""Backends by name: a plain dict filled from the ``glassdome.backends`` entry point group.

Built-in backends register through the same entry points a third-party one
would; a plugin that fails to load is reported, never fatal.
"""

from __future__ import annotations

from functools import cache
from typing import cast

from glassdome.backends.base import BackendFactory

__all__ = ["ENTRY_POINT_GROUP", "backend_factories", "find_backend"]

ENTRY_POINT_GROUP = "glassdome.backends"


def _keyring_factory() -> BackendFactory:
    from glassdome.backends.os_keyring import OsKeyringBackend

    return OsKeyringBackend.from_context


def _file_factory() -> BackendFactory:
    from glassdome.backends.encrypted_file import EncryptedFileBackend

    return EncryptedFileBackend.from_context


def _vault_factory() -> BackendFactory:
    from glassdome.backends.vault import VaultBackend  # hvac itself is imported on first use

    return VaultBackend.from_context


def _aws_factory() -> BackendFactory:
    from glassdome.backends.aws_secrets import AwsSecretsBackend  # boto3 likewise

    return AwsSecretsBackend.from_context


# Remote backends are built-ins too, but only an explicit choice selects them: auto
# selection (core.secrets) only ever considers the keyring and the file.
_BUILTIN = {
    "keyring": _keyring_factory,
    "file": _file_factory,
    "vault": _vault_factory,
    "aws": _aws_factory,
}


def _builtin() -> dict[str, BackendFactory]:
    return {name: load() for name, load in _BUILTIN.items()}


def find_backend(name: str) -> BackendFactory | None:
    """Return the factory for *name*; built-ins load without scanning installed plugins."""
    if name in _BUILTIN:
        return _BUILTIN[name]()
    return backend_factories().get(name)


@cache
def backend_factories() -> dict[str, BackendFactory]:
    """Return every known backend factory by name (built-ins first, then plugins)."""
    from glassdome.plugins import load_plugins

    return load_plugins(
        ENTRY_POINT_GROUP,
        _builtin(),
        "secret backend",
        lambda loaded: cast(BackendFactory, getattr(loaded, "from_context", loaded)),
    )
