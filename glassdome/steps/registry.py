"""Step types by name: a plain dict filled from the ``glassdome.steps`` entry points.

Built-in step types register through the same entry points a third-party one
would; a plugin that fails to load is reported, never fatal.
"""

from __future__ import annotations

from functools import cache

from glassdome.steps.base import StepType

__all__ = ["ENTRY_POINT_GROUP", "step_types"]

ENTRY_POINT_GROUP = "glassdome.steps"
# Built-in step families, one module each; each module lists its types in STEP_TYPES.
_BUILTIN_MODULES = (
    "secret",
    "config",
    "checks",
    "net",
    "ask",
    "proxmox",
    "esxi",
    "azure",
    "aws",
    "ai",
)


def _builtin() -> dict[str, type[StepType]]:  # type: ignore[type-arg]
    from importlib import import_module

    types: dict[str, type[StepType]] = {}  # type: ignore[type-arg]
    for name in _BUILTIN_MODULES:
        module = import_module(f"glassdome.steps.{name}")
        for step_type in module.STEP_TYPES:
            types[step_type.name] = step_type
    return types


@cache
def step_types() -> dict[str, type[StepType]]:  # type: ignore[type-arg]
    """Every step type by name: built-ins, then plugins."""
    from glassdome.plugins import load_plugins

    return load_plugins(ENTRY_POINT_GROUP, _builtin(), "step type")
