"""On/off switches read from environment variables, one rule for all of them."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["TRUE_WORDS", "env_flag"]

# Answers to a yes/no question accept "y" too (glassdome.playbook.inputs); a variable does not.
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def env_flag(env: Mapping[str, str], name: str) -> bool:
    """Whether the variable *name* in *env* is switched on: 1, true, yes or on, in any case.

    Surrounding spaces are ignored; unset, empty and every other word mean off.
    """
    return env.get(name, "").strip().lower() in TRUE_WORDS
