"""One rule for on/off variables: 1, true, yes or on, in any case, switch them on."""

from __future__ import annotations

import pytest

from glassdome.primitives.flags import env_flag


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", "on", " on ", "\tyes\n"])
def test_a_true_word_switches_the_flag_on(value: str) -> None:
    assert env_flag({"GLASSDOME_FLAG": value}, "GLASSDOME_FLAG") is True


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off", "y", "2", "enabled", "truthy"])
def test_anything_else_leaves_it_off(value: str) -> None:
    """ "y" answers a question (playbook inputs), but does not switch a variable on."""
    assert env_flag({"GLASSDOME_FLAG": value}, "GLASSDOME_FLAG") is False


def test_an_unset_variable_is_off() -> None:
    assert env_flag({"OTHER": "1"}, "GLASSDOME_FLAG") is False
