"""Step types by name: the built-ins, then the ``glassdome.steps`` entry points.

A built-in type's module is imported only when a playbook uses it (a playbook
of `message` steps does not pay for the Proxmox client), and installed plugins
are scanned only when a name is not a built-in or the full list is wanted. A
plugin that fails to load is reported, never fatal; a plugin cannot replace a
built-in type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from importlib import import_module

from glassdome.steps.base import StepType

__all__ = ["ENTRY_POINT_GROUP", "StepTypes", "step_types"]

ENTRY_POINT_GROUP = "glassdome.steps"
# Built-in step type -> the module (glassdome.steps.<module>) whose STEP_TYPES holds it.
_BUILTIN: dict[str, str] = {
    "secret.set": "secret",
    "secret.require": "secret",
    "secret.generate": "secret",
    "config.set": "config",
    "assert": "checks",
    "message": "checks",
    "net.tls_fingerprint": "net",
    "http.check": "net",
    "ask": "ask",
    "proxmox.api_token": "proxmox",
    "proxmox.verify_token": "proxmox",
    "proxmox.nodes": "proxmox",
    "proxmox.settings": "proxmox",
    "esxi.verify": "esxi",
    "azure.verify_service_principal": "azure",
    "aws.verify_access_key": "aws",
    "ai.verify_key": "ai",
    "mailcow.verify_key": "ai",
}


def _load_builtin(name: str) -> type[StepType]:  # type: ignore[type-arg]
    module = import_module(f"glassdome.steps.{_BUILTIN[name]}")
    for step_type in module.STEP_TYPES:
        if step_type.name == name:
            found: type[StepType] = step_type  # type: ignore[type-arg]
            return found
    raise LookupError(
        f"glassdome.steps.{_BUILTIN[name]} does not define {name}"
    )  # pragma: no cover


@cache
def _plugins() -> dict[str, type[StepType]]:  # type: ignore[type-arg]
    from glassdome.plugins import load_plugins

    found: dict[str, type[StepType]] = load_plugins(ENTRY_POINT_GROUP, {}, "step type")  # type: ignore[type-arg]
    return {name: cls for name, cls in found.items() if name not in _BUILTIN}


class StepTypes(Mapping[str, type[StepType]]):  # type: ignore[type-arg]
    """Every step type by name, loaded on first use."""

    def __getitem__(self, name: str) -> type[StepType]:  # type: ignore[type-arg]
        if name in _BUILTIN:
            return _load_builtin(name)
        return _plugins()[name]

    def __iter__(self) -> Iterator[str]:
        yield from _BUILTIN
        yield from _plugins()

    def __len__(self) -> int:
        return len(_BUILTIN) + len(_plugins())

    def __contains__(self, name: object) -> bool:
        return name in _BUILTIN or (isinstance(name, str) and name in _plugins())


@cache
def step_types() -> StepTypes:
    """Every step type by name: built-ins, then plugins (each loaded when first asked for)."""
    return StepTypes()
