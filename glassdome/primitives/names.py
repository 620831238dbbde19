"""The rules every secret name and value follows, whichever backend holds it."""

from __future__ import annotations

import re

from glassdome.errors import InvalidSecretName, InvalidSecretValue

__all__ = [
    "KNOWN_SECRETS",
    "MAX_VALUE_BYTES",
    "NAME_RULE",
    "SECRET_VARIABLE_RULE",
    "check_value",
    "is_secret_variable",
    "normalize_name",
    "secret_store_name",
]

# The secrets the seed documents: Settings fields, .env variables (upper-cased)
# and store names at once. Proxmox instances add proxmox_token_value_NN.
KNOWN_SECRETS = (
    "proxmox_password",
    "proxmox_token_value",
    "esxi_password",
    "azure_client_secret",
    "aws_secret_access_key",
    "openai_api_key",
    "anthropic_api_key",
    "mail_api",
    "secret_key",
)

# An instance of a known secret: a two-digit suffix (proxmox_token_value_02,
# proxmox_password_02), or the Proxmox form with the digits after the prefix
# (PROXMOX_02_TOKEN_VALUE, as PROXMOX_02_HOST is spelled in .env).
_KNOWN = "|".join(KNOWN_SECRETS)
_PROXMOX = "|".join(n.removeprefix("proxmox_") for n in KNOWN_SECRETS if n.startswith("proxmox_"))
SECRET_VARIABLE_RULE = (
    rf"(?:(?P<plain>{_KNOWN})(?:_(?P<n1>\d{{2}}))?|proxmox_(?P<n2>\d{{2}})_(?P<rest>{_PROXMOX}))"
)
_SECRET_VARIABLE = re.compile(SECRET_VARIABLE_RULE)


def secret_store_name(name: str) -> str | None:
    """The store name of a secret variable (any case), or None when *name* is not one.

    ``PROXMOX_02_TOKEN_VALUE`` and ``proxmox_token_value_02`` are both
    ``proxmox_token_value_02``. This is the one rule for what is a secret:
    ``config.set``, ``migrate``, ``doctor`` and the settings all use it.
    """
    if not isinstance(name, str) or not name.isascii():
        return None
    match = _SECRET_VARIABLE.fullmatch(name.lower())
    if match is None:
        return None
    if match["plain"] is not None:
        return match["plain"] + (f"_{match['n1']}" if match["n1"] else "")
    return f"proxmox_{match['rest']}_{match['n2']}"


def is_secret_variable(name: str) -> bool:
    """True when *name* (a setting, ``.env`` variable or store name) holds a secret."""
    return secret_store_name(name) is not None


NAME_RULE = "[a-z0-9][a-z0-9_.-]{0,127}"
MAX_VALUE_BYTES = 64 * 1024

_NAME = re.compile(NAME_RULE)


def normalize_name(name: object) -> str:
    """Return *name* lower-cased, or raise `InvalidSecretName` stating the rule."""
    if not isinstance(name, str):
        raise InvalidSecretName(
            f"secret names are text, not {type(name).__name__}; use letters, digits, '_', '.', '-'"
        )
    # The rule is checked on ASCII before lower-casing: str.lower() maps some
    # non-ASCII characters onto ASCII ones (KELVIN SIGN U+212A -> 'k'), which
    # would silently turn one name into another.
    lowered = name.lower() if name.isascii() else name
    if not _NAME.fullmatch(lowered):
        # The offending name is described, not quoted: a value passed by mistake
        # in the name's place must not end up in a message.
        raise InvalidSecretName(f"invalid secret name ({_what_is_wrong(lowered)}): {_RULE_TEXT}")
    return lowered


_RULE_TEXT = (
    f"names are 1-128 characters matching {NAME_RULE}: lower-case letters, digits, "
    "'_', '.' and '-', starting with a letter or digit"
)


def _what_is_wrong(name: str) -> str:
    if not name:
        return "it is empty"
    if len(name) > 128:
        return f"it is {len(name)} characters long"
    if not re.fullmatch("[a-z0-9]", name[0]):
        return "it must start with a letter or digit"
    for position, char in enumerate(name, start=1):
        if not re.fullmatch("[a-z0-9_.-]", char):
            shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
            return f"character {shown} at position {position} is not allowed"
    return "it does not match the rule"  # pragma: no cover - the checks above are exhaustive


def check_value(name: str, value: object) -> str:
    """Return *value* if it can be stored, else raise `InvalidSecretValue` (never quoting it)."""
    if not isinstance(value, str):
        raise InvalidSecretValue(
            f"the value for {name!r} must be text (str), not {type(value).__name__}"
        )
    if not value:
        raise InvalidSecretValue(
            f"the value for {name!r} is empty; to remove a secret, delete it instead"
        )
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidSecretValue(
            f"the value for {name!r} is not valid Unicode text (it holds a lone surrogate)"
        ) from None
    if size > MAX_VALUE_BYTES:
        raise InvalidSecretValue(
            f"the value for {name!r} is {size} bytes of UTF-8; the limit is {MAX_VALUE_BYTES} "
            "(64 KiB): store a path to a file instead"
        )
    return value
