"""Backends by name: the built-ins below, then the ``glassdome.backends`` entry points.

A built-in backend is one line here, imported only when chosen; installed
plugins are scanned only for a name that is not built in, or when the full
list is wanted (`glassdome.plugins` says why). A plugin names a backend class
with a ``from_context`` factory (or the factory itself); one that fails to
load is reported, never fatal.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from glassdome.backends.base import BackendFactory
from glassdome.plugins import Registry

__all__ = ["ENTRY_POINT_GROUP", "backend_factories", "find_backend"]

ENTRY_POINT_GROUP = "glassdome.backends"
# Remote backends are built-ins too, but only an explicit choice selects them: auto
# selection (core.secrets) only ever considers the keyring and the file. The SDK of a
# remote backend (hvac, boto3) is imported on its first use, not here.
_BUILTIN = {
    "keyring": "glassdome.backends.os_keyring:OsKeyringBackend",
    "file": "glassdome.backends.encrypted_file:EncryptedFileBackend",
    "vault": "glassdome.backends.vault:VaultBackend",
    "aws": "glassdome.backends.aws_secrets:AwsSecretsBackend",
}


def _factory(loaded: Any) -> BackendFactory:
    factory = getattr(loaded, "from_context", loaded)
    if not callable(factory):
        raise TypeError("not a backend class or factory")
    result: BackendFactory = factory
    return result


def find_backend(name: str) -> BackendFactory | None:
    """The factory for *name*, or None; a built-in loads without scanning installed plugins."""
    return backend_factories().get(name)


@cache
def backend_factories() -> Registry[BackendFactory]:
    """Every backend factory by name (built-ins first, then plugins), each loaded on first use."""
    return Registry(ENTRY_POINT_GROUP, _BUILTIN, "secret backend", _factory)
