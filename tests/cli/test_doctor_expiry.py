"""`secrets doctor` warns of credentials expiring soon, flags expired ones, exits 1 for either.

The in-process tests use a fixed clock; the CLI tests write dates far from today.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from glassdome.commands.doctor import diagnose
from glassdome.commands.expiry import due
from glassdome.core.secrets import SecretsManager
from glassdome.errors import UsageError
from glassdome.primitives.meta import SecretMeta
from tests.cli.runner import Cli, one_error_line
from tests.conftest import PASSWORD

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
VALUE = "expiry-canary-value-3e8a"


def _store(home: Path, env: dict[str, str], **expires: str | None) -> SecretsManager:
    manager = SecretsManager(home=home, backend="file", env=env)
    for name, when in expires.items():
        manager.set_secret(name, VALUE, meta=SecretMeta(platform="proxmox", expires=when))
    return manager


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return {"GLASSDOME_MASTER_PASSWORD": PASSWORD, "HOME": str(home.parent)}


def _expiry(manager: SecretsManager, work: Path) -> dict[str, dict[str, str]]:
    checks = diagnose(manager, work / ".env", now=NOW)
    return {
        c.name: {"status": c.status, "detail": c.detail, "expires": c.expires or ""}
        for c in checks
        if c.name.startswith("expiry")
    }


def test_expired_and_soon_are_flagged_and_later_is_not(home: Path, work: Path, env: dict[str, str]):
    manager = _store(
        home,
        env,
        gone=(NOW - timedelta(days=3)).isoformat(),
        soon=(NOW + timedelta(days=5)).isoformat(),
        later=(NOW + timedelta(days=40)).isoformat(),
        never=None,
    )
    found = _expiry(manager, work)
    assert sorted(found) == ["expiry gone", "expiry soon"]
    assert found["expiry gone"]["status"] == "attention"
    assert "expired" in found["expiry gone"]["detail"]
    assert "3 day(s) ago" in found["expiry gone"]["detail"]
    assert "glassdome setup proxmox" in found["expiry gone"]["detail"]
    assert "in 5 day(s)" in found["expiry soon"]["detail"]
    assert found["expiry soon"]["expires"] == (NOW + timedelta(days=5)).isoformat()
    assert VALUE not in json.dumps(found)


def test_the_window_is_set_in_days(home: Path, work: Path, env: dict[str, str]):
    wide = {**env, "GLASSDOME_EXPIRY_WARN_DAYS": "60"}
    manager = _store(home, wide, later=(NOW + timedelta(days=40)).isoformat())
    assert sorted(_expiry(manager, work)) == ["expiry later"]
    narrow = {**env, "GLASSDOME_EXPIRY_WARN_DAYS": "0"}
    assert _expiry(SecretsManager(home=home, backend="file", env=narrow), work) == {
        "expiry": {"status": "ok", "detail": "nothing expires within 0 days", "expires": ""}
    }


def test_an_unreadable_date_is_flagged():
    found = due({"x": SecretMeta(expires="next tuesday")}, NOW, 14)
    assert [(d.name, d.days_left) for d in found] == [("x", None)]
    assert "cannot be read" in found[0].describe()


@pytest.mark.parametrize("bad", ["soon", "-1", "99999"])
def test_a_bad_window_is_a_usage_error(bad: str):
    from glassdome.commands.expiry import warn_days

    with pytest.raises(UsageError, match="GLASSDOME_EXPIRY_WARN_DAYS"):
        warn_days({"GLASSDOME_EXPIRY_WARN_DAYS": bad})


def test_a_store_that_needs_a_typed_password_is_not_opened(
    home: Path, work: Path, env: dict[str, str]
):
    _store(home, env, gone=(NOW - timedelta(days=3)).isoformat())
    locked = SecretsManager(home=home, backend="file", env={"HOME": str(home.parent)})
    assert _expiry(locked, work)["expiry"]["status"] == "info"
    assert "not checked" in _expiry(locked, work)["expiry"]["detail"]


def test_doctor_through_the_cli_exits_1_and_carries_the_dates(cli: Cli, home: Path):
    past = "2020-01-01T00:00:00Z"
    _store(home, {"GLASSDOME_MASTER_PASSWORD": PASSWORD}, proxmox_token_value=past)
    result = cli("secrets", "doctor", "--json")
    assert result.code == 1, str(result)
    checks = {c["name"]: c for c in json.loads(result.out)["checks"]}
    assert checks["expiry proxmox_token_value"]["status"] == "attention"
    assert checks["expiry proxmox_token_value"]["expires"] == past
    assert "expires" not in checks["backend"]
    table = cli("secrets", "doctor")
    assert table.code == 1
    assert "expired" in table.out
    assert VALUE not in result.out + result.err + table.out + table.err


def test_a_bad_window_through_the_cli_is_one_line(cli: Cli, home: Path):
    _store(home, {"GLASSDOME_MASTER_PASSWORD": PASSWORD}, x="2020-01-01T00:00:00Z")
    result = cli("secrets", "doctor", GLASSDOME_EXPIRY_WARN_DAYS="soon")
    assert result.code == 2, str(result)
    assert "GLASSDOME_EXPIRY_WARN_DAYS" in one_error_line(result)
