"""The escaping that fits a metadata record into AWS tags and Vault custom_metadata, reversibly."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glassdome.backends.meta_strings import (
    AWS_TAGS,
    VAULT_METADATA,
    FlatStore,
    MetadataTooLong,
    escape,
    unescape,
)
from glassdome.errors import SecretStoreError
from glassdome.primitives.meta import SecretMeta

# What AWS documents for a tag: letters, digits, spaces and _ . : / = + - @ (we keep ASCII).
AWS_TAG_TEXT = re.compile(r"[A-Za-z0-9 _.:/=+\-@]*")
STORES = [AWS_TAGS, VAULT_METADATA]
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=80)


@given(ANY_TEXT)
def test_any_text_survives_escaping_for_aws(text: str) -> None:
    escaped = escape(text, AWS_TAGS.keep)
    assert AWS_TAG_TEXT.fullmatch(escaped)
    assert escaped  # never empty (Vault refuses empty values)
    assert unescape(escaped) == text


@given(ANY_TEXT)
def test_any_text_survives_escaping_for_vault_as_printable_ascii(text: str) -> None:
    escaped = escape(text, VAULT_METADATA.keep)
    assert escaped.isascii()
    assert escaped.isprintable()
    assert escaped
    assert unescape(escaped) == text


@given(
    st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=40), max_size=5),
    st.sampled_from(STORES),
)
def test_a_record_survives_the_round_trip(identity: dict[str, str], store: FlatStore) -> None:
    meta = SecretMeta(
        created="2026-12-01T00:00:00Z",
        source="playbook:setup/proxmox.yml#token",
        platform="proxmox",
        identity=identity,
        last_check="401 Unauthorized: token expired",
    )
    flat = store.encode(meta, "name")
    assert all(store.owns(key) for key in flat)
    assert store.decode(flat, "here") == meta


def test_allowed_characters_stay_readable_and_plus_is_escaped() -> None:
    assert escape("pve.lab:8006", AWS_TAGS.keep) == "pve.lab:8006"
    assert escape("root@pam!glassdome", AWS_TAGS.keep) == "root@pam+21glassdome"
    assert escape("root@pam!glassdome", VAULT_METADATA.keep) == "root@pam!glassdome"
    assert escape("a+b", VAULT_METADATA.keep) == "a+2Bb"
    assert escape("ü", AWS_TAGS.keep) == "+C3+BC"
    assert escape("a\nb", VAULT_METADATA.keep) == "a+0Ab"
    assert escape("", AWS_TAGS.keep) == "+"


@pytest.mark.parametrize("bad", ["+", "a+2", "a+zz", "+2b", "+C3"])
def test_text_that_is_not_escaped_text_is_refused(bad: str) -> None:
    if bad == "+":
        assert unescape(bad) == ""
        return
    with pytest.raises(ValueError, match=r"\+|UTF-8|utf-8"):
        unescape(bad)


@pytest.mark.parametrize("store", STORES, ids=["aws", "vault"])
def test_an_over_long_value_is_an_error_naming_the_field_never_shortened(store: FlatStore) -> None:
    long_tenant = "t" * (store.max_value + 1)
    meta = SecretMeta(platform="azure", identity={"tenant": long_tenant})
    with pytest.raises(MetadataTooLong) as caught:
        store.encode(meta, "azure_client_secret")
    message = str(caught.value)
    assert "identity.tenant" in message
    assert "azure_client_secret" in message
    assert f"at most {store.max_value}" in message
    assert long_tenant not in message
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)


def test_escaping_counts_against_the_limit() -> None:
    """200 characters fit an AWS tag; 200 escaped ones (3 characters each) do not."""
    assert AWS_TAGS.encode(SecretMeta(platform="x" * 200), "n")["glassdome:platform"]
    with pytest.raises(MetadataTooLong, match="platform of n is 600 characters"):
        AWS_TAGS.encode(SecretMeta(platform="!" * 200), "n")


def test_too_many_entries_beside_other_tools_is_an_error() -> None:
    identity = {f"k{i}": "v" for i in range(40)}
    assert len(AWS_TAGS.encode(SecretMeta(identity=identity), "n", others=9)) == 41  # 50 in all
    with pytest.raises(MetadataTooLong, match="more than the 50"):
        AWS_TAGS.encode(SecretMeta(identity=identity), "n", others=10)


def test_other_tools_keys_are_ignored_and_damaged_ones_are_named() -> None:
    stored = {"glassdome:v": "1", "glassdome:platform": "aws", "team": "a+b", "Name": "x"}
    record = AWS_TAGS.decode(stored, "glassdome/aws_key")
    assert record == SecretMeta(platform="aws")
    assert AWS_TAGS.decode({"team": "a"}, "glassdome/x") is None
    assert VAULT_METADATA.decode({"owner": "a+b", "v": "1"}, "secret/x") == SecretMeta()
    with pytest.raises(SecretStoreError, match=r"glassdome/aws_key \(field platform\)"):
        AWS_TAGS.decode({"glassdome:v": "1", "glassdome:platform": "+C3"}, "glassdome/aws_key")
