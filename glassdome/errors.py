"""Every error glassdome raises on purpose.

Each message says what happened and what to do next, and never contains a
secret value: messages name secrets, they never quote them. Each class carries
the exit code a command ends with when it is raised (`exit_code`): 1 unless a
class says otherwise, 2 for a usage error or an invalid playbook, 3 for inputs
missing where nobody can be asked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import ClassVar

__all__ = [
    "BackendUnavailable",
    "GlassdomeError",
    "InputsMissing",
    "InsecurePermissions",
    "InvalidSecretName",
    "InvalidSecretValue",
    "MasterPasswordUnavailable",
    "PlaybookInvalid",
    "SecretConflict",
    "SecretStoreError",
    "StoreBusy",
    "StoreCorrupted",
    "UsageError",
    "WeakMasterPassword",
    "WrongMasterPassword",
    "debug_enabled",
]


class GlassdomeError(Exception):
    """Root of every error glassdome raises on purpose."""

    exit_code: ClassVar[int] = 1


class SecretStoreError(GlassdomeError):
    """Something went wrong in the secret store."""


class InvalidSecretName(SecretStoreError, ValueError):
    """A secret name does not follow the naming rule."""


class InvalidSecretValue(SecretStoreError, ValueError):
    """A secret value is empty, not text, or too large."""


class BackendUnavailable(SecretStoreError):
    """The requested secret backend cannot be used here; the message says why."""


class MasterPasswordUnavailable(SecretStoreError):
    """No master password source is available and no terminal to ask on."""


class WeakMasterPassword(SecretStoreError, ValueError):
    """A new master password is too short."""


class WrongMasterPassword(SecretStoreError):
    """The master password does not unlock the store. Nothing on disk was changed."""


class StoreCorrupted(SecretStoreError):
    """The encrypted store cannot be read as written; it is never treated as empty."""


class InsecurePermissions(SecretStoreError):
    """The store's folder or a file in it could be replaced by another user; nothing was read."""


class StoreBusy(SecretStoreError):
    """Another process held the store's lock for too long."""


class SecretConflict(SecretStoreError):
    """A secret changed in the store between glassdome reading it and writing it.

    Raised instead of overwriting someone else's change (a failed check-and-set);
    *names* are the secrets that were left as the other writer made them.
    """

    def __init__(self, message: str, names: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.names = names


class UsageError(GlassdomeError):
    """A command was called wrongly (exit code 2); the message says how to call it."""

    exit_code: ClassVar[int] = 2


class PlaybookInvalid(GlassdomeError):
    """The playbook does not validate; nothing ran. Each problem is ``file:line:column: ...``."""

    exit_code: ClassVar[int] = 2

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class InputsMissing(GlassdomeError):
    """Inputs are missing or invalid and there is no terminal to ask on (exit code 3)."""

    exit_code: ClassVar[int] = 3

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "inputs missing or invalid (give them with --set NAME=VALUE, "
            "GLASSDOME_INPUT_NAME or --answers FILE):\n" + "\n".join(f"  {p}" for p in problems)
        )


def debug_enabled(env: Mapping[str, str] | None = None) -> bool:
    """Whether ``GLASSDOME_DEBUG`` (in *env*, default the process's) asks for tracebacks."""
    return (os.environ if env is None else env).get("GLASSDOME_DEBUG", "") not in {"", "0"}
