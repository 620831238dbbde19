"""Proxmox VE token lifetimes: PVE's ``expire`` (epoch seconds, 0: never) as the store records it.

A token is created with ``expire`` set from a lifetime in days (`expire_at`). For a token
that exists already, its own ``GET /access/users/{userid}/token/{tokenid}`` is read with
the token alone (`read_life`): PVE allows that only where the token holds User.Modify,
so a refusal is normal and records no expiry rather than failing the run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from glassdome.steps.base import step_meta
from glassdome.steps.proxmox_api import Endpoint, token_api

if TYPE_CHECKING:
    from glassdome.primitives.meta import SecretMeta

__all__ = ["MAX_EXPIRE_DAYS", "TokenLife", "expire_at", "expires_text", "read_life", "token_meta"]

MAX_EXPIRE_DAYS = 3650  # ten years: anything longer is a typo
_DAY = 86_400


def expire_at(days: int, now: float | None = None) -> int:
    """PVE's ``expire`` for a token living *days* from *now* (epoch seconds); 0 for never."""
    if days <= 0:
        return 0
    return int(time.time() if now is None else now) + days * _DAY


def expires_text(expire: Any) -> str | None:
    """PVE's ``expire`` as the store records it (UTC ISO-8601); None for 0, absent or odd."""
    if isinstance(expire, bool) or not isinstance(expire, int) or expire <= 0:
        return None
    return datetime.fromtimestamp(expire, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class TokenLife:
    """What PVE told of a token's lifetime: whether it could be read, and the date (or None)."""

    readable: bool
    expires: str | None = None

    @property
    def said(self) -> str:
        """A few words for a step's message."""
        if not self.readable:
            return "its expiry is not readable with the token alone (none recorded)"
        return f"expires {self.expires}" if self.expires else "no expiry"


def read_life(args: Endpoint, token_name: str, value: str) -> TokenLife:
    """Read the token's own ``expire`` with the token alone; unreadable when PVE refuses."""
    api = token_api(args, token_name, value)
    try:
        info = api.access.users(args.user).token(token_name).get()
    except Exception:  # noqa: BLE001 - a refusal (403) or any failure: just not known
        return TokenLife(readable=False)
    if not isinstance(info, dict):
        return TokenLife(readable=False)
    return TokenLife(readable=True, expires=expires_text(info.get("expire")))


def token_meta(args: Endpoint, full_id: str, expires: str | None = None) -> SecretMeta:
    """What is stored beside a token's secret: the server, the full token id, its expiry."""
    return step_meta("proxmox", expires=expires, host=args.where, token_id=full_id)
