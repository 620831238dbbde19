"""The encrypted store's formats: Argon2id key derivation, data-key wrapping, the Fernet document.

Pure functions over bytes, no I/O. All primitives come from ``cryptography``:
Argon2id derives a key-encryption key from the master password, Fernet wraps
the random data key with it, and the data key encrypts the whole secrets
document (names and values) as a single Fernet token, so no entry can be read,
swapped or rolled back on its own.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from glassdome.errors import StoreCorrupted, WeakMasterPassword, WrongMasterPassword
from glassdome.primitives.sensitive import SecretText

__all__ = [
    "DEFAULT_KDF",
    "KDF_FLOOR",
    "MIN_PASSWORD_LENGTH",
    "Document",
    "KdfParams",
    "KeyFile",
    "UnlockedKey",
    "adopt_data_key",
    "check_new_password",
    "data_key_bytes",
    "decrypt_document",
    "encrypt_document",
    "new_key_file",
    "parse_key_file",
    "unlock_key_file",
]

KEY_FORMAT = "glassdome-master-key"
DOC_FORMAT = "glassdome-secrets"
_TOKEN = re.compile(rb"[A-Za-z0-9_-]+={0,2}")  # a Fernet token: URL-safe base64
FORMAT_VERSION = 1
MIN_PASSWORD_LENGTH = 8
_SALT_BYTES = 16
# Parameters read from a key file (and GLASSDOME_KDF_* for a new one) are bounded so a
# crafted header cannot make every unlock attempt take gigabytes or minutes: at most
# 1 GiB of memory, 10 iterations and 16 lanes (16x the default memory, ~3x its time).
_MAX_MEMORY_KIB = 1024 * 1024
_MAX_ITERATIONS = 10
_MAX_LANES = 16


class KdfParams(NamedTuple):
    """Argon2id cost parameters (RFC 9106 names: m in KiB, t, p)."""

    memory_cost_kib: int
    iterations: int
    lanes: int = 4

    def below(self, other: KdfParams) -> bool:
        """Whether these parameters are weaker than *other* in memory or time."""
        return self.memory_cost_kib < other.memory_cost_kib or self.iterations < other.iterations

    def describe(self) -> str:
        """Return a short human description, e.g. ``argon2id m=64 MiB t=3 p=4``."""
        return f"argon2id m={self.memory_cost_kib // 1024} MiB t={self.iterations} p={self.lanes}"


DEFAULT_KDF = KdfParams(memory_cost_kib=64 * 1024, iterations=3, lanes=4)
# OWASP's minimum for Argon2id: 19 MiB of memory, 2 iterations.
KDF_FLOOR = KdfParams(memory_cost_kib=19 * 1024, iterations=2, lanes=1)


def check_kdf(params: KdfParams) -> KdfParams:
    """Return *params* if they are within the floor and the ceiling, else raise ValueError."""
    if params.below(KDF_FLOOR):
        raise ValueError(
            f"Argon2id parameters {params.describe()} are below the floor "
            f"(at least {KDF_FLOOR.memory_cost_kib // 1024} MiB and {KDF_FLOOR.iterations} "
            "iterations)"
        )
    if (
        params.memory_cost_kib > _MAX_MEMORY_KIB
        or params.iterations > _MAX_ITERATIONS
        or not 1 <= params.lanes <= _MAX_LANES
    ):
        raise ValueError(
            f"Argon2id parameters {params.describe()} are above the ceiling "
            f"(at most {_MAX_MEMORY_KIB // 1024} MiB, {_MAX_ITERATIONS} iterations "
            f"and {_MAX_LANES} lanes)"
        )
    return params


def check_new_password(password: SecretText, *, origin: str | None = None) -> None:
    """Refuse a new master password that is too short to be one (the only length rule).

    *origin* names where it came from (a variable or file), for the message.
    """
    if len(password.get_secret_value()) < MIN_PASSWORD_LENGTH:
        source = f" (from {origin})" if origin else ""
        raise WeakMasterPassword(
            f"the new master password{source} is shorter than {MIN_PASSWORD_LENGTH} characters; "
            "choose a longer one (a passphrase of several words is best)"
        )


class KeyFile(NamedTuple):
    """The parsed contents of ``master_key.enc``: KDF header and the wrapped data key."""

    key_id: str
    kdf: KdfParams
    salt: bytes
    wrapped_key: bytes

    def __repr__(self) -> str:
        return f"KeyFile(key_id={self.key_id!r}, kdf={self.kdf.describe()!r})"

    def to_bytes(self) -> bytes:
        """Serialize as a versioned JSON header (nothing in it is secret)."""
        doc = {
            "format": KEY_FORMAT,
            "version": FORMAT_VERSION,
            "key_id": self.key_id,
            "kdf": {
                "algorithm": "argon2id",
                "memory_cost_kib": self.kdf.memory_cost_kib,
                "iterations": self.kdf.iterations,
                "lanes": self.kdf.lanes,
                "salt": base64.b64encode(self.salt).decode("ascii"),
            },
            "wrapped_data_key": self.wrapped_key.decode("ascii"),
        }
        return (json.dumps(doc, indent=2) + "\n").encode("ascii")


class UnlockedKey(NamedTuple):
    """A data key in memory, with the id of the key file it came from."""

    key_id: str
    fernet: Fernet
    material: bytes = b""  # the key itself (url-safe base64), for handing to the unlock agent

    def __repr__(self) -> str:
        return f"UnlockedKey(key_id={self.key_id!r})"


class Document(NamedTuple):
    """The decrypted secrets document: generation, values and metadata records by name.

    The records stay JSON objects here; `glassdome.primitives.meta` reads them.
    """

    generation: int
    secrets: dict[str, str]
    meta: Mapping[str, Mapping[str, Any]] = MappingProxyType({})

    def __repr__(self) -> str:
        return f"Document(generation={self.generation}, names={len(self.secrets)})"


# One Argon2id derivation at a time in this process. Some cryptography builds
# (50.x, OpenSSL 4) deadlock when two threads derive with lanes > 1 at once,
# and a derivation already uses every core, so serialising costs no throughput.
_DERIVE_LOCK = threading.Lock()


def _derive_kek(password: SecretText, salt: bytes, params: KdfParams, key_id: str) -> Fernet:
    with _DERIVE_LOCK:
        raw = _argon2id(salt, params, key_id).derive(password.get_secret_value().encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(raw))


def _argon2id(salt: bytes, params: KdfParams, key_id: str) -> Argon2id:
    return Argon2id(
        salt=salt,
        length=32,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_cost_kib,
        # Binding the key id means a key file with a swapped id no longer unlocks.
        ad=f"{KEY_FORMAT}/{FORMAT_VERSION}/{key_id}".encode("ascii"),
    )


def new_key_file(password: SecretText, params: KdfParams) -> tuple[KeyFile, UnlockedKey]:
    """Create a fresh random data key and wrap it under *password*."""
    check_new_password(password)
    check_kdf(params)
    key_id = os.urandom(16).hex()  # what secrets.token_hex does, without importing hmac
    salt = os.urandom(_SALT_BYTES)
    data_key = Fernet.generate_key()
    wrapped = _derive_kek(password, salt, params, key_id).encrypt(data_key)
    return KeyFile(key_id, params, salt, wrapped), UnlockedKey(key_id, Fernet(data_key), data_key)


def _unwrap(key_file: KeyFile, password: SecretText) -> bytes:
    kek = _derive_kek(password, key_file.salt, key_file.kdf, key_file.key_id)
    try:
        return kek.decrypt(key_file.wrapped_key)
    except InvalidToken:
        raise WrongMasterPassword(
            "wrong master password: it does not unlock the store; nothing was changed "
            "(if you are certain it is right, master_key.enc itself may have been altered)"
        ) from None


def unlock_key_file(key_file: KeyFile, password: SecretText) -> UnlockedKey:
    """Unwrap the data key, or raise `WrongMasterPassword`."""
    data_key = _unwrap(key_file, password)
    return UnlockedKey(key_file.key_id, Fernet(data_key), data_key)


def data_key_bytes(key: UnlockedKey) -> bytes:
    """The data key itself (Fernet's url-safe base64), to hand to the unlock agent only."""
    if not key.material:
        raise ValueError("this key was made without its material")
    return key.material


def adopt_data_key(key_id: str, data_key: bytes) -> UnlockedKey:
    """An `UnlockedKey` from `data_key_bytes`' output; ValueError if it is not a Fernet key."""
    return UnlockedKey(key_id, Fernet(data_key), data_key)


def _corrupted(source: str, what: str) -> StoreCorrupted:
    return StoreCorrupted(f"{source} is corrupted or was altered ({what})")


def _load_json(content: bytes, source: str) -> dict[str, Any]:
    try:
        doc = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise _corrupted(source, "not a valid header") from None
    if not isinstance(doc, dict):
        raise _corrupted(source, "not a valid header")
    return doc


def parse_key_file(content: bytes, source: str) -> KeyFile:
    """Parse ``master_key.enc``; anything unexpected raises `StoreCorrupted`."""
    doc = _load_json(content, source)
    if doc.get("format") != KEY_FORMAT:
        raise _corrupted(source, "not a glassdome master key file")
    if doc.get("version") != FORMAT_VERSION:
        raise StoreCorrupted(
            f"{source} has format version {doc.get('version')!r}; this glassdome reads "
            f"version {FORMAT_VERSION}: upgrade glassdome"
        )
    try:
        kdf_doc = doc["kdf"]
        if kdf_doc["algorithm"] != "argon2id":
            raise _corrupted(source, f"unknown KDF {kdf_doc['algorithm']!r}")
        params = KdfParams(
            memory_cost_kib=int(kdf_doc["memory_cost_kib"]),
            iterations=int(kdf_doc["iterations"]),
            lanes=int(kdf_doc["lanes"]),
        )
        salt = base64.b64decode(kdf_doc["salt"], validate=True)
        key_id = str(doc["key_id"])
        wrapped = str(doc["wrapped_data_key"]).encode("ascii")
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise _corrupted(source, f"bad field: {type(exc).__name__}") from None
    if len(salt) < _SALT_BYTES:
        raise _corrupted(source, "salt too short")
    try:
        check_kdf(params)
    except ValueError as exc:
        raise _corrupted(source, str(exc)) from None
    return KeyFile(key_id, params, salt, wrapped)


def encrypt_document(key: UnlockedKey, document: Document) -> bytes:
    """Serialize and encrypt the whole document as one Fernet token behind a plain header."""
    header = {"format": DOC_FORMAT, "version": FORMAT_VERSION, "key_id": key.key_id}
    body = json.dumps(
        {
            "key_id": key.key_id,
            "generation": document.generation,
            "secrets": document.secrets,
            "meta": {name: dict(record) for name, record in document.meta.items()},
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode("utf-8")
    token = key.fernet.encrypt(body)
    return json.dumps(header).encode("ascii") + b"\n" + token + b"\n"


def document_key_id(content: bytes, source: str) -> str:
    """Return the key id named in a document's plain header."""
    header_line, sep, _ = content.partition(b"\n")
    if not sep:
        raise _corrupted(source, "truncated")
    header = _load_json(header_line, source)
    if header.get("format") != DOC_FORMAT:
        raise _corrupted(source, "not a glassdome secrets file")
    if header.get("version") != FORMAT_VERSION:
        raise StoreCorrupted(
            f"{source} has format version {header.get('version')!r}; this glassdome reads "
            f"version {FORMAT_VERSION}: upgrade glassdome"
        )
    return str(header.get("key_id"))


def decrypt_document(key: UnlockedKey, content: bytes, source: str) -> Document:
    """Decrypt and check a secrets document; any damage raises `StoreCorrupted`."""
    document_key_id(content, source)
    _, _, rest = content.partition(b"\n")
    token = rest.removesuffix(b"\n")
    # base64 decoding stops at padding and skips other bytes: anything but one token
    # and its newline is damage, even where the token itself would still decrypt.
    if not _TOKEN.fullmatch(token):
        raise _corrupted(source, "authentication failed")
    try:
        body = key.fernet.decrypt(token)
    except InvalidToken:
        raise _corrupted(source, "authentication failed") from None
    try:
        doc = json.loads(body)
        generation = int(doc["generation"])
        entries = doc["secrets"]
        meta = doc.get("meta", {})  # absent in stores written before metadata existed
        ok = (
            doc["key_id"] == key.key_id
            and isinstance(entries, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items())
            and isinstance(meta, dict)
            and all(isinstance(k, str) and isinstance(v, dict) for k, v in meta.items())
        )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        ok = False
    if not ok:
        raise _corrupted(source, "unexpected contents")
    return Document(generation, dict(entries), meta)
