"""The naming rule and the value checks every backend relies on."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from glassdome.core.secrets import SecretsManager
from glassdome.errors import InvalidSecretName, InvalidSecretValue
from glassdome.primitives.names import MAX_VALUE_BYTES, NAME_RULE, check_value, normalize_name


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Azure_Client_Secret", "azure_client_secret"),
        ("PROXMOX_TOKEN_VALUE_01", "proxmox_token_value_01"),
        ("a", "a"),
        ("0.config-key_x", "0.config-key_x"),
        ("x" * 128, "x" * 128),
    ],
)
def test_valid_names_come_back_lower_cased(name: str, normalized: str) -> None:
    assert normalize_name(name) == normalized


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "it is empty"),
        ("x" * 129, "it is 129 characters long"),
        ("_hidden", "it must start with a letter or digit"),
        ("-dash", "it must start with a letter or digit"),
        ("has space", "character ' ' at position 4 is not allowed"),
        ("slash/name", "character '/' at position 6 is not allowed"),
        ("ab\x00c", "character U+0000 at position 3 is not allowed"),
        ("ümlaut", "it must start with a letter or digit"),
        ("caf\u00e9", "character 'é' at position 4 is not allowed"),
    ],
)
def test_invalid_names_are_refused_with_the_reason_and_the_rule(name: str, reason: str) -> None:
    with pytest.raises(InvalidSecretName) as info:
        normalize_name(name)
    message = str(info.value)
    assert reason in message
    assert NAME_RULE in message
    assert "lower-case letters, digits" in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("name", [None, 42, b"bytes_name", ["list"]])
def test_names_that_are_not_text_are_refused(name: object) -> None:
    with pytest.raises(InvalidSecretName, match=f"not {type(name).__name__}"):
        normalize_name(name)


@pytest.mark.parametrize(
    "name", ["sk-live canary!!", "SK-LIVE CANARY!!", "sk-live-canary-" + "x" * 200]
)
def test_an_invalid_name_is_described_never_quoted(name: str) -> None:
    """A value passed by mistake where the name goes must not end up in the message."""
    with pytest.raises(InvalidSecretName) as info:
        normalize_name(name)
    message = str(info.value).lower()
    assert "sk-live" not in message
    assert "canary" not in message


def test_an_invalid_name_passed_to_the_manager_is_not_quoted() -> None:
    manager = SecretsManager(backend="file")
    for call in (
        lambda: manager.set_secret("sk-live canary!!", "value"),
        lambda: manager.get_secret("sk-live canary!!"),
        lambda: manager.delete_secret("sk-live canary!!"),
        lambda: manager.set_many({"sk-live canary!!": "value"}),
    ):
        with pytest.raises(InvalidSecretName) as info:
            call()
        assert "canary" not in str(info.value)


CANARY_VALUE = "sk-live-canary-value-0b7e"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (CANARY_VALUE.encode(), "must be text (str), not bytes"),
        (12345, "must be text (str), not int"),
        (None, "must be text (str), not NoneType"),
        ("", "is empty; to remove a secret, delete it instead"),
        (CANARY_VALUE + "x" * (MAX_VALUE_BYTES + 1 - len(CANARY_VALUE)), "65537 bytes"),
        ("é" * (MAX_VALUE_BYTES // 2) + "x", "65537 bytes"),  # counted in UTF-8, not characters
        (CANARY_VALUE + "\ud800", "lone surrogate"),
    ],
    ids=["bytes", "int", "None", "empty", "64 KiB + 1", "64 KiB + 1 in UTF-8", "lone surrogate"],
)
def test_unstorable_values_are_refused_without_quoting_them(value: object, reason: str) -> None:
    with pytest.raises(InvalidSecretValue) as info:
        check_value("api_token", value)
    message = str(info.value)
    assert reason in message
    assert "'api_token'" in message
    assert "canary" not in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "value",
    ["x", "x" * MAX_VALUE_BYTES, "é" * (MAX_VALUE_BYTES // 2), "pässwörd-密码-🔑\n\t"],
    ids=["one character", "64 KiB", "64 KiB in UTF-8", "unicode"],
)
def test_storable_values_are_returned_unchanged(value: str) -> None:
    assert check_value("api_token", value) is value


@pytest.mark.parametrize("name", ["\u212aey", "proxmox_password\u212a", "\u0130d", "ﬀ"])
def test_non_ascii_names_that_lower_case_to_ascii_are_refused(name: str) -> None:
    with pytest.raises(InvalidSecretName):
        normalize_name(name)


# Characters str.lower() maps to ASCII (KELVIN SIGN, I WITH DOT ABOVE) mixed with valid ones.
_TRICKY = st.text(alphabet="aZk0_.-\u212a\u0130\u017f\u00c5", min_size=1, max_size=8)


@given(st.text(max_size=140) | st.from_regex(NAME_RULE, fullmatch=True).map(str.upper) | _TRICKY)
@example("\u212a")
def test_a_name_round_trips_or_is_refused(text: str) -> None:
    ascii_valid = text.isascii() and re.fullmatch(NAME_RULE, text.lower()) is not None
    try:
        name = normalize_name(text)
    except InvalidSecretName:
        assert not ascii_valid
    else:
        assert ascii_valid
        assert name == text.lower()
