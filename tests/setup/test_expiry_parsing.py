"""The pure parts of recording expiry: dates given, the AWS maximum age, Graph's hint match."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from glassdome.steps.aws_keys import KeyAge, _user_name, max_age_days
from glassdome.steps.azure_graph import _match
from glassdome.steps.base import StepFailed
from glassdome.steps.expires import parse_expiry
from glassdome.steps.proxmox_expiry import expire_at, expires_text


@pytest.mark.parametrize(
    ("given", "recorded"),
    [
        ("2027-06-30", "2027-06-30T00:00:00Z"),
        ("2027-06-30T12:30:00+02:00", "2027-06-30T10:30:00Z"),
        ("2027-06-30T12:30:00.5Z", "2027-06-30T12:30:00Z"),
        ("none", None),
        (" ", None),
    ],
)
def test_a_given_expiry_is_recorded_in_utc_or_not_at_all(given: str, recorded: str | None):
    assert parse_expiry(given) == recorded


def test_a_given_expiry_that_is_not_a_date_is_a_value_error():
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_expiry("next spring")


@pytest.mark.parametrize(("raw", "days"), [("", 90), ("30", 30), (" 365 ", 365)])
def test_aws_max_age_comes_from_the_environment(raw: str, days: int):
    assert max_age_days({"GLASSDOME_AWS_KEY_MAX_AGE_DAYS": raw}) == days


@pytest.mark.parametrize("raw", ["0", "3651", "ninety", "1.5", "-1"])
def test_aws_max_age_out_of_range_is_one_line(raw: str):
    with pytest.raises(StepFailed, match=r"^GLASSDOME_AWS_KEY_MAX_AGE_DAYS must be .* 90\)$"):
        max_age_days({"GLASSDOME_AWS_KEY_MAX_AGE_DAYS": raw})


def test_aws_rotation_due_is_creation_plus_the_maximum_age():
    age = KeyAge.of(datetime(2026, 1, 31, 8, 0, 0, 123, tzinfo=UTC), 30)
    assert (age.created, age.due) == ("2026-01-31T08:00:00Z", "2026-03-02T08:00:00Z")


@pytest.mark.parametrize(
    ("arn", "user"),
    [
        ("arn:aws:iam::123456789012:user/lab", "lab"),
        ("arn:aws:iam::123456789012:user/team/ci/lab", "lab"),
        ("arn:aws:iam::123456789012:root", None),
        ("arn:aws:sts::123456789012:assumed-role/Admin/me", None),
    ],
)
def test_only_an_iam_user_has_keys_to_list(arn: str, user: str | None):
    assert _user_name(arn) == user


def test_graph_picks_the_credential_whose_hint_matches_the_secret():
    listed = [
        {"hint": "Zz9", "keyId": "k1", "endDateTime": "2028-01-01T00:00:00Z"},
        {"hint": "Az~", "keyId": "k2", "endDateTime": "2027-02-03T04:05:06.789Z"},
    ]
    found = _match(listed, "Az~secret-value")
    assert (found.key_id, found.expires) == ("k2", "2027-02-03T04:05:06Z")
    assert not _match(listed, "Qq1-other").known
    assert _match([*listed, {"hint": "Az~", "keyId": "k3"}], "Az~x").reason == "several match"


def test_proxmox_expire_is_now_plus_days_or_never():
    assert expire_at(0, now=1_000) == 0
    assert expire_at(2, now=1_000) == 1_000 + 2 * 86_400
    assert expires_text(1_800_000_000) == "2027-01-15T08:00:00Z"
    assert expires_text(True) is None
