"""Reading back what the wizards recorded of a credential's expiry: `secrets show`, `doctor`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.setup.support import WizardCli


def shown(cli: WizardCli, name: str) -> dict[str, Any]:
    """The metadata record of *name*, from ``secrets show NAME --json``."""
    result = cli("secrets", "show", name, "--json")
    assert result.code == 0, str(result)
    meta: dict[str, Any] = json.loads(result.out)["meta"]
    return meta


def doctor_expiry(cli: WizardCli, name: str) -> dict[str, Any] | None:
    """`secrets doctor --json`'s expiry finding for *name* (None when it has none)."""
    result = cli("secrets", "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(result.out)["checks"]}
    found: dict[str, Any] | None = checks.get(f"expiry {name}")
    if found is not None:
        assert result.code == 1, str(result)  # a credential due is worth an exit 1
    return found


def days_from_now(iso: str) -> float:
    """How many days from now an ISO-8601 UTC time is."""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (when - datetime.now(UTC)).total_seconds() / 86_400


def assert_flagged_soon(cli: WizardCli, name: str, expires: str) -> None:
    """Doctor warns of *name* expiring on *expires* (soon, not yet past), with the date."""
    finding = doctor_expiry(cli, name)
    assert finding is not None, f"doctor did not flag {name}"
    assert finding["status"] == "attention", finding
    assert finding["expires"] == expires
    assert f"expires {expires} (in " in finding["detail"], finding
