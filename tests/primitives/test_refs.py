"""The reference syntax: ``glassdome:NAME`` names a secret, ``glassdome::`` escapes a literal."""

from __future__ import annotations

import pytest

from glassdome.errors import GlassdomeError
from glassdome.primitives.refs import (
    InvalidReference,
    UnresolvedReference,
    escape,
    is_reference,
    literal,
    reference,
    reference_name,
    resolve,
    resolve_environment,
)
from tests.leaks import forms

CANARY = "canary-Refs-7f3a!x"
STORE = {"proxmox_token_value": CANARY, "lab.api-key": "other-value-9b2c"}


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("glassdome:proxmox_token_value", "proxmox_token_value"),
        ("glassdome:Lab.API-key", "lab.api-key"),  # read lower-cased, as every name is
        ("plain value", None),
        ("glassdome::escaped", None),
        ("GLASSDOME:upper", None),  # the prefix is lower case, exactly
        ("", None),
    ],
)
def test_a_reference_is_the_prefix_and_a_secret_name(value: str, name: str | None):
    assert reference_name(value) == name
    assert is_reference(value) is (name is not None)


@pytest.mark.parametrize(
    "text", ["glassdome:", "glassdome:Not a name!", "glassdome:_x", "glassdome:" + "a" * 129]
)
def test_the_prefix_without_a_name_is_an_error_that_quotes_nothing(text: str):
    with pytest.raises(InvalidReference) as caught:
        reference_name(text, "PROXMOX_PASSWORD")
    message = str(caught.value)
    assert message.startswith("PROXMOX_PASSWORD starts with 'glassdome:'")
    assert "'glassdome::'" in message  # says how to write the literal
    assert text[len("glassdome:") :] not in message or not text[len("glassdome:") :]


def test_an_escaped_literal_reads_as_the_text_after_one_colon():
    assert literal("glassdome::not-a-ref") == "glassdome:not-a-ref"
    assert literal("other") == "other"
    assert escape("glassdome:x y") == "glassdome::x y"
    assert literal(escape("glassdome:x y")) == "glassdome:x y"
    assert escape("plain") == "plain"


def test_reference_builds_the_text_for_a_name():
    assert reference("Proxmox_Token_Value") == "glassdome:proxmox_token_value"


def test_resolve_reads_only_references_from_the_store():
    asked: list[str] = []

    def lookup(name: str) -> str | None:
        asked.append(name)
        return STORE.get(name)

    assert resolve("glassdome:proxmox_token_value", lookup, "X") == CANARY
    assert resolve("literal", lookup, "X") == "literal"
    assert resolve("glassdome::lit", lookup, "X") == "glassdome:lit"
    assert asked == ["proxmox_token_value"]


def test_a_missing_name_is_an_error_naming_the_variable_and_the_name():
    with pytest.raises(UnresolvedReference) as caught:
        resolve("glassdome:proxmox_tokn", STORE.get, "PROXMOX_TOKEN_VALUE (in .env)")
    assert isinstance(caught.value, GlassdomeError)
    assert str(caught.value) == (
        "PROXMOX_TOKEN_VALUE (in .env) refers to the secret 'proxmox_tokn', which the store "
        "does not hold: store it (`glassdome secrets set proxmox_tokn`) or correct the name"
    )


def test_resolve_environment_resolves_references_and_unescapes_literals():
    env = {
        "TF_VAR_secret": "glassdome:proxmox_token_value",
        "KEEP": "plain",
        "LITERAL": "glassdome::x",
        "MAPPED": "glassdome:missing",  # set by --env instead: never looked up
    }
    resolved = resolve_environment(env, STORE.get, skip={"MAPPED"})
    assert resolved == {
        "TF_VAR_secret": CANARY,
        "KEEP": "plain",
        "LITERAL": "glassdome:x",
        "MAPPED": "glassdome:missing",
    }
    assert env["TF_VAR_secret"] == "glassdome:proxmox_token_value"  # the input is not changed


@pytest.mark.parametrize(
    "variable", ["LD_PRELOAD", "PATH", "PYTHONPATH", "BASH_ENV", "GLASSDOME_HOME"]
)
def test_a_reference_in_a_code_loading_variable_is_refused_before_the_store_is_read(variable: str):
    def lookup(name: str) -> str | None:
        raise AssertionError("the store was read")

    with pytest.raises(InvalidReference) as caught:
        resolve_environment({variable: "glassdome:proxmox_token_value"}, lookup)
    assert variable in str(caught.value)


def test_errors_never_hold_a_value_read_from_the_store():
    env = {"A": "glassdome:proxmox_token_value", "B": "glassdome:absent"}
    with pytest.raises(UnresolvedReference) as caught:
        resolve_environment(env, STORE.get)
    message = str(caught.value)
    assert "'absent'" in message
    for form in forms(CANARY).values():
        assert form not in message
