"""`glassdome verify [NAME ...] [--json]`: re-check stored credentials against their platforms.

Every stored secret whose metadata record names a platform is checked with the
read-only check its wizard used (`glassdome.commands.verify_checks`); the others
are listed as ``not checkable``. The store is unlocked and every value read once,
up front; the checks then run side by side in a bounded pool of threads, each
bounded by its requests' timeouts, so the whole run takes about as long as the
slowest peer. Each checked record gets ``last_check`` (``ok`` or the reason) and,
when ok, ``verified``. No value is ever printed: each is registered with the
redactor before any check starts.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.markup import escape

from glassdome.commands.meta import short_time
from glassdome.commands.verify_checks import Check, plan
from glassdome.core.secrets import SecretsManager, get_secrets_manager
from glassdome.errors import GlassdomeError
from glassdome.primitives.meta import SecretMeta, now_utc
from glassdome.primitives.names import normalize_name

if TYPE_CHECKING:
    from glassdome.core.config import Settings
    from glassdome.ui.console import Terminal
    from glassdome.ui.redact import Redactor

__all__ = ["MAX_WORKERS", "NOT_CHECKABLE", "Outcome", "run_checks", "verify"]

MAX_WORKERS = 16  # more than a lab's credentials: ten slow peers still take one timeout
NOT_CHECKABLE = "not checkable"
# pyVmomi's first request opens a socket with no timeout of its own: nothing may wait forever.
_SOCKET_TIMEOUT = 15.0
_REASON_LIMIT = 300


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one credential's check ended: ``ok``, the one-line reason, or ``not checkable``."""

    name: str
    platform: str | None
    expires: str | None
    result: str

    @property
    def checked(self) -> bool:
        """Whether there was anything to check it against."""
        return self.result != NOT_CHECKABLE

    @property
    def ok(self) -> bool:
        """Whether the platform accepted it."""
        return self.result == "ok"


def _one_line(text: str, mask: Callable[[str], str]) -> str:
    line = " ".join(mask(text).split()) or "failed (no reason given)"
    return line if len(line) <= _REASON_LIMIT else line[: _REASON_LIMIT - 3] + "..."


def _run_one(check: Check, mask: Callable[[str], str]) -> Outcome:
    """Run *check*; any failure becomes its one-line reason (masked: it is also stored)."""
    if check.run is None:
        return Outcome(check.name, check.platform, check.expires, NOT_CHECKABLE)
    try:
        check.run()
    except GlassdomeError as exc:
        result = _one_line(str(exc), mask)
    except Exception as exc:  # noqa: BLE001 - a client library's surprise is this check's reason
        result = _one_line(f"unexpected {type(exc).__name__}: {exc}", mask)
    else:
        result = "ok"
    return Outcome(check.name, check.platform, check.expires, result)


def run_checks(checks: Sequence[Check], mask: Callable[[str], str]) -> list[Outcome]:
    """Run *checks* side by side (at most `MAX_WORKERS` at a time), in their order.

    Each check ends by its own requests' timeouts; sockets opened without one get
    `_SOCKET_TIMEOUT` for the duration.
    """
    if not checks:
        return []
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_SOCKET_TIMEOUT)
    try:
        workers = min(MAX_WORKERS, len(checks))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify") as pool:
            return list(pool.map(lambda check: _run_one(check, mask), checks))
    finally:
        socket.setdefaulttimeout(previous)


def _selected(
    records: dict[str, SecretMeta | None], names: Sequence[str]
) -> dict[str, SecretMeta | None]:
    if not names:
        return records
    keys = list(dict.fromkeys(normalize_name(name) for name in names))
    missing = [key for key in keys if key not in records]
    if missing:
        raise GlassdomeError(
            f"no secret named {', '.join(missing)}; `glassdome secrets list` shows the names"
        )
    return {key: records[key] for key in keys}


def _record(manager: SecretsManager, outcomes: Sequence[Outcome], now: str) -> None:
    """Write each checked credential's ``last_check`` (and ``verified`` when ok)."""
    manager.update_many_meta(  # one write for the whole run
        {
            outcome.name: SecretMeta(
                verified=now if outcome.ok else None, last_check=outcome.result
            )
            for outcome in outcomes
            if outcome.checked
        }
    )


def _render(term: Terminal, outcomes: Sequence[Outcome], *, as_json: bool) -> None:
    if as_json:
        for outcome in outcomes:
            line = {
                "name": outcome.name,
                "platform": outcome.platform,
                "result": outcome.result,
                "ok": outcome.ok if outcome.checked else None,
                "expires": outcome.expires,
            }
            term.write_json(line)
        return
    if not outcomes:
        term.say("No secrets stored yet: nothing to verify.")
        return
    from rich.table import Table

    table = Table(title="Credentials checked against their platforms", title_justify="left")
    for column in ("name", "platform", "result", "expires"):
        table.add_column(column, overflow="fold")
    for outcome in outcomes:
        shown = escape(outcome.result)
        result = shown if not outcome.checked else f"[{'green' if outcome.ok else 'red'}]{shown}[/]"
        table.add_row(
            outcome.name, escape(outcome.platform or ""), result, short_time(outcome.expires)
        )
    term.out.print(table)


def verify(
    term: Terminal,
    redactor: Redactor,
    names: Sequence[str] = (),
    *,
    as_json: bool = False,
    manager: SecretsManager | None = None,
    settings: Settings | None = None,
    clock: Callable[[], str] = now_utc,
) -> int:
    """Check the stored credentials (or *names*) against their platforms; 1 if any failed.

    Prints a table (or JSON Lines with *as_json*) of name, platform, result and expiry,
    and records each check in the credential's metadata.
    """
    manager = manager or get_secrets_manager(prompt=term)
    records = _selected(manager.list_meta(), names)  # unlocks the store, once, here
    if settings is None:
        from glassdome.core.config import get_settings

        settings = get_settings()
    checks = plan(records, manager.get_secret, settings, redactor.add)
    for where in sorted({check.insecure for check in checks if check.insecure}):
        term.warn(
            f"TLS certificate checks are OFF for {where} (its VERIFY_SSL is false): anyone on "
            "the path can read the credentials; pin the fingerprint instead"
        )
    outcomes = run_checks(checks, redactor.mask)
    _record(manager, outcomes, clock())
    _render(term, outcomes, as_json=as_json)
    return 1 if any(outcome.checked and not outcome.ok for outcome in outcomes) else 0
