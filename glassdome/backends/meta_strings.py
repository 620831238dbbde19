"""A `SecretMeta` as a flat map of restricted strings, for Vault custom_metadata and AWS tags.

Both stores keep a record as string keys and values (`SecretMeta.as_strings`:
``v``, ``created``, ``identity.token_id``, ...) but restrict them. AWS tags allow
only letters, digits, spaces and ``_ . : / = + - @``; Vault's custom_metadata
allows only printable text and no empty value. So every value, and the key part
after ``identity.``, is escaped reversibly:

- a character the store keeps (ASCII letters, digits, space and ``_ . : / = - @``
  on AWS; any printable ASCII character on Vault) stands for itself, except ``+``;
- any other character, ``+`` included, is written as its UTF-8 bytes, each as
  ``+HH`` (two upper-case hex digits): ``root@pam!glassdome`` is
  ``root@pam+21glassdome`` on AWS, ``ü`` is ``+C3+BC`` on both;
- the empty text is a lone ``+`` (which no other text produces).

Nothing is shortened: a key or value longer than the store allows once escaped,
or more entries than it allows, is `MetadataTooLong` naming the field, raised
before anything is written.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, fields

from glassdome.errors import SecretStoreError
from glassdome.primitives.meta import SecretMeta

__all__ = ["AWS_TAGS", "VAULT_METADATA", "FlatStore", "MetadataTooLong", "escape", "unescape"]

_IDENTITY = "identity."
# The keys of `SecretMeta.as_strings` besides ``identity.*``.
_FIELDS = frozenset({"v"} | {f.name for f in fields(SecretMeta)} - {"identity"})
_ESCAPED = re.compile(r"(?:\+[0-9A-F]{2})+")
_WELL_FORMED = re.compile(r"(?:[^+]|\+[0-9A-F]{2})*")


class MetadataTooLong(SecretStoreError, ValueError):
    """A metadata record does not fit where the backend keeps it (a field or the entry count)."""


def escape(text: str, keep: frozenset[str]) -> str:
    """*text* with every character outside *keep* (and every ``+``) written as ``+HH`` bytes."""
    if not text:
        return "+"
    out: list[str] = []
    for char in text:
        if char in keep and char != "+":
            out.append(char)
        else:
            out.extend(f"+{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
    return "".join(out)


def unescape(text: str) -> str:
    """The text `escape` made *text* from; ValueError if *text* is not escaped text."""
    if text == "+":
        return ""
    if not _WELL_FORMED.fullmatch(text):
        raise ValueError("a '+' not followed by two upper-case hex digits")
    return _ESCAPED.sub(
        lambda run: bytes.fromhex(run.group(0).replace("+", "")).decode("utf-8", "surrogatepass"),
        text,
    )


@dataclass(frozen=True)
class FlatStore:
    """Where a flat record goes and what that place allows (keys and values in characters)."""

    what: str  # "an AWS tag", in messages
    prefix: str  # before every key of ours
    keep: frozenset[str]  # characters written as they are
    max_key: int
    max_value: int
    max_entries: int  # in all, other tools' entries included

    def owns(self, key: str) -> bool:
        """Whether *key* is one of glassdome's keys (the others belong to other tools)."""
        if self.prefix:
            return key.startswith(self.prefix)
        return key in _FIELDS or key.startswith(_IDENTITY)

    def encode(self, meta: SecretMeta, name: str, others: int = 0) -> dict[str, str]:
        """*meta* as this store's keys and values; *others* counts entries kept beside them."""
        flat: dict[str, str] = {}
        for field, value in meta.as_strings().items():
            key = field
            if field.startswith(_IDENTITY):
                key = _IDENTITY + escape(field.removeprefix(_IDENTITY), self.keep)
            key = self.prefix + key
            if len(key) > self.max_key:
                raise MetadataTooLong(
                    f"the metadata of {name} has an identity field whose name is "
                    f"{len(key)} characters as {self.what} key (at most {self.max_key}); "
                    "use a shorter identity key"
                )
            encoded = escape(value, self.keep)
            if len(encoded) > self.max_value:
                raise MetadataTooLong(
                    f"the metadata field {_shown(field)} of {name} is {len(encoded)} characters "
                    f"as {self.what} value (at most {self.max_value}); store a shorter one"
                )
            flat[key] = encoded
        if len(flat) + others > self.max_entries:
            raise MetadataTooLong(
                f"the metadata of {name} needs {len(flat)} entries beside {others} of other "
                f"tools, more than the {self.max_entries} {self.what} entries allowed; "
                "record fewer identity fields"
            )
        return flat

    def decode(self, stored: Mapping[str, str], where: str) -> SecretMeta | None:
        """The record among *stored* (other tools' keys ignored); None when there is none."""
        flat: dict[str, str] = {}
        for key, value in stored.items():
            if not self.owns(key):
                continue
            field = key.removeprefix(self.prefix)
            try:
                if field.startswith(_IDENTITY):
                    field = _IDENTITY + unescape(field.removeprefix(_IDENTITY))
                flat[field] = unescape(value)
            except ValueError as exc:
                raise self._damaged(where, field, exc) from None
        try:
            return SecretMeta.from_strings(flat)
        except ValueError as exc:
            raise self._damaged(where, "", exc) from None

    def _damaged(self, where: str, field: str, exc: ValueError) -> SecretStoreError:
        which = f" (field {_shown(field)})" if field else ""
        return SecretStoreError(
            f"the glassdome metadata of {where}{which} is damaged ({_reason(exc)}); "
            "store the secret again to rewrite it"
        )


def _reason(exc: ValueError) -> str:
    # A UnicodeDecodeError quotes the bytes it could not read: say only what it is.
    return "bytes that are not UTF-8" if isinstance(exc, UnicodeDecodeError) else str(exc)


def _shown(field: str) -> str:
    """A field name for a message: printable, and not too long."""
    text = "".join(c if c.isprintable() else "?" for c in field)
    return text if len(text) <= 60 else text[:57] + "..."


_AWS_KEEP = frozenset(string.ascii_letters + string.digits + " _.:/=-@")
_VAULT_KEEP = frozenset(chr(c) for c in range(0x20, 0x7F))

# AWS tags: keys 1-128 and values 0-256 characters, 50 tags a secret (Secrets Manager quota).
AWS_TAGS = FlatStore("an AWS tag", "glassdome:", _AWS_KEEP, 128, 256, 50)
# KV v2 custom_metadata: keys 1-128 and values 1-512 bytes, printable, at most 64 keys.
VAULT_METADATA = FlatStore("a Vault custom_metadata", "", _VAULT_KEEP, 128, 512, 64)
