"""Metadata records: what they hold, how they read back, and what they refuse."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassdome.primitives.meta import META_VERSION, SecretMeta, stamp

FULL = SecretMeta(
    created="2026-01-01T00:00:00Z",
    updated="2026-02-01T00:00:00Z",
    source="playbook:setup/proxmox.yml#token",
    platform="proxmox",
    identity={"host": "pve:8006", "token_id": "root@pam!glassdome"},
    expires="2027-01-01T00:00:00Z",
    verified="2026-02-01T00:00:00Z",
    last_check="ok",
)


def test_a_record_is_versioned_and_round_trips_as_json_and_as_strings():
    record = FULL.as_record()
    assert record["v"] == META_VERSION
    assert SecretMeta.from_json(FULL.as_json()) == FULL
    flat = FULL.as_strings()
    assert flat["identity.token_id"] == "root@pam!glassdome"
    assert all(isinstance(v, str) for v in flat.values())
    assert SecretMeta.from_strings(flat) == FULL


def test_a_record_of_a_later_version_reads_ignoring_what_it_does_not_know():
    record = {**FULL.as_record(), "v": META_VERSION + 1, "rotation": {"due": "soon"}}
    assert SecretMeta.from_record(record) == FULL


@pytest.mark.parametrize(
    "bad",
    [None, [], {"created": "x"}, {"v": 1, "created": 5}, {"v": 1, "identity": {"a": 1}}],
    ids=["none", "list", "no version", "not text", "identity not text"],
)
def test_what_is_not_a_record_is_refused(bad: object):
    with pytest.raises(ValueError, match="metadata"):
        SecretMeta.from_record(bad)


def test_flat_strings_without_a_version_are_no_record():
    assert SecretMeta.from_strings({"created": "x"}) is None


def test_stamp_a_first_write():
    record = stamp(None, None, source="cli", value_changed=True, now="2026-12-06T00:00:00Z")
    assert (record.created, record.updated, record.source) == (
        "2026-12-06T00:00:00Z",
        "2026-12-06T00:00:00Z",
        "cli",
    )


def test_stamp_a_new_value_keeps_created_and_identity_and_clears_the_check():
    record = stamp(FULL, None, source="migrate", value_changed=True, now="2026-12-06T00:00:00Z")
    assert record.created == FULL.created
    assert record.updated == "2026-12-06T00:00:00Z"
    assert record.source == "migrate"
    assert record.identity == FULL.identity
    assert record.verified is None
    assert record.last_check is None
    assert record.expires is None  # the old credential's date is not the new one's


def test_stamp_the_same_value_keeps_the_record_and_given_fields_win():
    assert stamp(FULL, None, source="copy", value_changed=False) == FULL
    given_meta = SecretMeta(expires="2028-01-01T00:00:00Z", identity={"node": "pve1"})
    record = stamp(FULL, given_meta, source="copy", value_changed=False)
    assert record.expires == "2028-01-01T00:00:00Z"
    assert record.identity == {**FULL.identity, "node": "pve1"}


@given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=200), max_size=5))
def test_any_identity_text_round_trips(identity: dict[str, str]):
    meta = SecretMeta(platform="aws", identity=identity)
    assert SecretMeta.from_json(meta.as_json()) == meta
    assert SecretMeta.from_record(json.loads(json.dumps(meta.as_record()))) == meta
