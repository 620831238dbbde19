"""Masking of known secret values in everything glassdome prints.

Every value known to be secret is registered once; `Redactor.mask` replaces it,
and its JSON-escaped, URL-encoded and base64 forms, with ``***``. Streams
wrapped in `RedactingStream` mask whatever is written through them, so steps
and error paths do not each have to remember.
"""

from __future__ import annotations

import base64
import json
import threading
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "RedactingStream", "Redactor"]

MASK = "***"
_MIN_LENGTH = 4  # shorter "secrets" would mask ordinary words; they are refused earlier anyway


def _forms(secret: str) -> set[str]:
    raw = secret.encode("utf-8")
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote(secret),  # Jinja's urlencode filter keeps "/"
        quote_plus(secret),
        repr(secret)[1:-1],  # Python error messages quote values with repr()
        repr(raw)[2:-1],
    }
    if max(secret, default="") <= "\xff":
        forms.add(repr(secret.encode("latin-1"))[2:-1])  # http.client's header errors
    # A JSON event or JSON text escapes whatever a message already holds (a repr, a JSON value).
    forms |= {json.dumps(form)[1:-1] for form in forms}
    for offset in range(3):  # base64 of the secret at any alignment inside a longer blob
        chunk = raw[offset:]
        whole = len(chunk) // 3 * 3
        if whole >= 6:
            encoded = base64.b64encode(chunk[:whole]).decode("ascii")
            forms.update({encoded, encoded.replace("+", "-").replace("/", "_")})
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        full = encode(raw).decode("ascii")
        forms.update({full, full.rstrip("=")})
    return {form for form in forms if len(form) >= _MIN_LENGTH}


class Redactor:
    """The set of secret values to mask, and the masking itself."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forms: list[str] = []
        self._known: set[str] = set()
        self._derived: set[str] = set()

    def add(self, secret: str | None) -> None:
        """Register *secret* (and its encodings) for masking from now on."""
        if not secret or secret in self._known:
            return
        if len(secret) < _MIN_LENGTH:
            with self._lock:
                self._derived.add(secret)  # not masked, but still refused by `holds`
            return
        with self._lock:
            self._known.add(secret)
            merged = set(self._forms) | _forms(secret)
            self._forms = sorted(merged, key=len, reverse=True)  # longest first

    def derive(self, text: str) -> None:
        """*text* was computed from a secret (a template that read one): mask it as a whole.

        Remembered even when too short to mask, so `holds` still refuses to write it.
        """
        with self._lock:
            self._derived.add(text)
        self.add(text)

    def knows(self, value: str) -> bool:
        """Whether *value* is exactly a registered secret or a value derived from one."""
        return value in self._known or value in self._derived

    def holds(self, text: str) -> bool:
        """Whether *text* is derived from a secret or contains one in any of its forms."""
        return text in self._derived or any(form in text for form in self._forms)

    def shown(self, text: str) -> str:
        """*text* as it may be shown.

        ``***`` if it is a secret or derived from one, however short; else `mask` of it.
        """
        return MASK if text and self.knows(text) else self.mask(text)

    def mask(self, text: str) -> str:
        """Return *text* with every registered form replaced by ``***``."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def mask_json(self, document: Any) -> str:
        """*document* as one line of JSON, every string in it (keys too) masked first.

        Masking the text after `json.dumps` could cut into JSON's own words: a secret
        ``fals`` would turn ``false`` into ``***e`` and the line would no longer parse.
        """
        return json.dumps(self._masked(document))

    def _masked(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {self._masked(str(k)): self._masked(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._masked(item) for item in value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            text = json.dumps(value)
            return MASK if self.mask(text) != text else value  # a number that spells a secret
        return value

    def __repr__(self) -> str:
        return f"Redactor({len(self._known)} secrets)"


class RedactingStream:
    """A text stream that masks registered secrets in everything written to it."""

    def __init__(self, inner: TextIO, redactor: Redactor) -> None:
        self._inner = inner
        self._redactor = redactor

    def write(self, text: str) -> int:
        """Mask, then write."""
        self._inner.write(self._redactor.mask(text))
        return len(text)

    def write_json(self, document: Any) -> None:
        """Write *document* as one line of JSON, its strings masked (`Redactor.mask_json`)."""
        self._inner.write(self._redactor.mask_json(document) + "\n")

    def writelines(self, lines: list[str]) -> None:
        """Mask and write each line."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Flush the wrapped stream."""
        self._inner.flush()

    def isatty(self) -> bool:
        """Whether the wrapped stream is a terminal."""
        try:
            return self._inner.isatty()
        except (ValueError, OSError):
            return False

    def fileno(self) -> int:
        """The wrapped stream's descriptor (Rich and getpass ask for it)."""
        return self._inner.fileno()

    @property
    def encoding(self) -> str:
        """The wrapped stream's encoding."""
        return getattr(self._inner, "encoding", "utf-8")

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)
