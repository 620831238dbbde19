"""Which stored credentials have expired, or will within the warning window.

Reads the metadata records' ``expires`` (UTC); `glassdome secrets doctor` turns the
result into findings. ``GLASSDOME_EXPIRY_WARN_DAYS`` (default 14) sets the window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from glassdome.errors import UsageError
from glassdome.primitives.meta import SecretMeta

__all__ = ["DEFAULT_WARN_DAYS", "WARN_DAYS_VARIABLE", "Due", "due", "warn_days"]

WARN_DAYS_VARIABLE = "GLASSDOME_EXPIRY_WARN_DAYS"
DEFAULT_WARN_DAYS = 14
_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Due:
    """One credential that needs attention: expired, expiring soon, or a date unread."""

    name: str
    expires: str
    days_left: float | None  # None: the date could not be read
    platform: str | None

    @property
    def expired(self) -> bool:
        """Whether the date is past."""
        return self.days_left is not None and self.days_left <= 0

    def describe(self) -> str:
        """One line: what is due and what to do (never a value)."""
        on = f" ({self.platform})" if self.platform else ""
        if self.days_left is None:
            return f"{self.name}{on}: the expiry date {self.expires!r} cannot be read"
        fallback = f"store a new value: glassdome secrets set {self.name}"
        fix = _FIXES.get(self.platform or "", fallback)
        if self.expired:
            ago = int(-self.days_left)
            return f"{self.name}{on} expired {self.expires} ({ago} day(s) ago); {fix}"
        left = int(self.days_left)
        return f"{self.name}{on} expires {self.expires} (in {left} day(s)); {fix}"


_FIXES = {
    "proxmox": "make a new token with `glassdome setup proxmox`",
    "azure": "add a new client secret with `glassdome setup azure`",
    "aws": "make a new access key with `glassdome setup aws`",
    "esxi": "set a new password with `glassdome setup esxi`",
}


def warn_days(env: Mapping[str, str]) -> float:
    """The warning window in days, from ``GLASSDOME_EXPIRY_WARN_DAYS`` (default 14)."""
    raw = env.get(WARN_DAYS_VARIABLE, "").strip()
    if not raw:
        return float(DEFAULT_WARN_DAYS)
    try:
        days = float(raw)
    except ValueError:
        days = -1.0
    if not 0 <= days <= 3650:  # ten years: anything longer is a typo
        raise UsageError(f"{WARN_DAYS_VARIABLE} must be a number of days from 0 to 3650")
    return days


def due(records: Mapping[str, SecretMeta | None], now: datetime, window_days: float) -> list[Due]:
    """The credentials whose ``expires`` is past or within *window_days* of *now*, by date."""
    found: list[Due] = []
    for name, record in records.items():
        if record is None or record.expires is None:
            continue
        when = _parse(record.expires)
        if when is None:
            found.append(Due(name, record.expires, None, record.platform))
            continue
        left = (when - now).total_seconds() / _DAY
        if left <= window_days:
            found.append(Due(name, record.expires, left, record.platform))
    return sorted(found, key=lambda d: (d.days_left is not None, d.days_left or 0.0, d.name))


def _parse(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
