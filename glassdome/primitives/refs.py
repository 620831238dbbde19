"""Secret references: ``glassdome:NAME`` in place of a value names a secret in the store.

A committed file (``.env``, a ``.envrc``, a CI variable) can then say which secret
a variable holds without holding it, as 1Password's ``op://`` and vals' ``ref+``
do. The syntax, in full:

- ``glassdome:NAME`` is a reference to the stored secret NAME (a name as
  `glassdome.primitives.names.normalize_name` accepts it; upper case is read as
  lower case). The prefix is exactly ``glassdome:``, in lower case.
- ``glassdome::TEXT`` is the literal value ``glassdome:TEXT`` (the escape, for a
  value that really starts with the prefix).
- Any other value is itself.

``glassdome:`` followed by something that is not a name is an error, never the
literal text: a mistyped reference must not become the value. Whoever resolves a
reference to a name the store does not hold raises `UnresolvedReference`, naming
the variable and the name, never falling back to the reference text or to empty.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from typing import Final

from glassdome.errors import GlassdomeError, InvalidSecretName
from glassdome.primitives.childenv import is_denied
from glassdome.primitives.names import normalize_name

__all__ = [
    "ESCAPE",
    "PREFIX",
    "InvalidReference",
    "UnresolvedReference",
    "escape",
    "is_reference",
    "literal",
    "reference",
    "reference_name",
    "resolve",
    "resolve_environment",
]

PREFIX: Final = "glassdome:"
ESCAPE: Final = "glassdome::"


class InvalidReference(GlassdomeError, ValueError):
    """A value starts with ``glassdome:`` but what follows is not a secret name."""


class UnresolvedReference(GlassdomeError):
    """A reference names a secret the store does not hold."""


def is_reference(value: object) -> bool:
    """Whether *value* is meant as a reference (``glassdome:...`` but not ``glassdome::...``)."""
    return isinstance(value, str) and value.startswith(PREFIX) and not value.startswith(ESCAPE)


def reference_name(value: str, where: str = "a value") -> str | None:
    """The secret name *value* refers to, or None when it is not a reference.

    Raises `InvalidReference` (the text described, never quoted) when *value*
    starts with the prefix but no valid name follows; *where* names the variable.
    """
    if not is_reference(value):
        return None
    try:
        return normalize_name(value[len(PREFIX) :])
    except InvalidSecretName:
        # Not even the offending character is quoted: the text may be a value, not a name.
        raise InvalidReference(
            f"{where} starts with {PREFIX!r} but what follows is not a secret name (1-128 of "
            f"a-z, 0-9, '_', '.', '-'); write a literal value that starts with {PREFIX!r} "
            f"as {ESCAPE!r}..."
        ) from None


def literal(value: str) -> str:
    """A value that is not a reference as meant: ``glassdome::x`` is ``glassdome:x``."""
    return PREFIX + value[len(ESCAPE) :] if value.startswith(ESCAPE) else value


def escape(value: str) -> str:
    """*value* written so that it reads back as itself, never as a reference."""
    return ESCAPE + value[len(PREFIX) :] if value.startswith(PREFIX) else value


def reference(name: str) -> str:
    """The reference to the secret *name* (``glassdome:proxmox_token_value``)."""
    return PREFIX + normalize_name(name)


def resolve(value: str, lookup: Callable[[str], str | None], where: str) -> str:
    """*value* with a reference replaced by the stored secret it names.

    *lookup* reads one secret by name (None when absent); it is called only for a
    reference. *where* names the variable (and where it was set) in errors.
    """
    name = reference_name(value, where)
    if name is None:
        return literal(value)
    found = lookup(name)
    if found is None:
        raise UnresolvedReference(
            f"{where} refers to the secret {name!r}, which the store does not hold: "
            f"store it (`glassdome secrets set {name}`) or correct the name"
        )
    return found


def resolve_environment(
    env: Mapping[str, str],
    lookup: Callable[[str], str | None],
    *,
    skip: Container[str] = (),
) -> dict[str, str]:
    """A copy of *env* with every reference resolved (variables in *skip* are left as they are).

    A reference in a variable that changes how programs load or run code
    (`glassdome.primitives.childenv.is_denied`) is refused like a secret mapped to
    one: the store must never choose what a program loads. Every reference is
    checked before the store is read.
    """
    wanted: dict[str, str] = {}
    for variable, value in env.items():
        if variable in skip:
            continue
        name = reference_name(value, variable)
        if name is None:
            continue
        if is_denied(variable):
            raise InvalidReference(
                f"{variable} refers to a secret, but {variable} changes how programs load "
                "or run code and a secret never sets it; nothing was run"
            )
        wanted[variable] = value
    resolved = {k: literal(v) if k not in skip else v for k, v in env.items()}
    for variable, value in wanted.items():
        resolved[variable] = resolve(value, lookup, f"{variable} (in the environment)")
    return resolved
