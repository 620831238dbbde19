"""Every form in which a secret could show up in output: the one list the leak checks use."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

__all__ = ["forms"]


def forms(secret: str) -> dict[str, str]:
    """*secret* printed, lower-cased, JSON-escaped (also twice), URL-encoded, in a repr,
    as hex, or inside a longer base64 text (plain and URL-safe alphabets)."""
    raw = secret.encode("utf-8")
    found = {
        "plain": secret,
        "lower-case": secret.lower(),
        "json": json.dumps(secret)[1:-1],
        "json-utf8": json.dumps(secret, ensure_ascii=False)[1:-1],
        "json-in-json": json.dumps(json.dumps(secret)[1:-1])[1:-1],
        "url": quote(secret, safe=""),
        "url-path": quote(secret),
        "url-plus": quote_plus(secret),
        "repr": repr(secret)[1:-1],
        "hex": raw.hex(),
    }
    # Inside a longer base64 text the secret starts at any of 3 alignments: keep the
    # characters that depend on the secret alone.
    for offset in range(3):
        for name, encode in (
            ("base64", base64.b64encode),
            ("urlsafe-base64", base64.urlsafe_b64encode),
        ):
            text = encode(b"\0" * offset + raw).decode("ascii")
            found[f"{name}@{offset}"] = text[(4 * offset + 2) // 3 : -4]
    return found
