"""The JSON Schema of playbook files, for editors: every key, and each step type's ``with``.

Built from the pydantic models: the playbook's own, and the ``Args`` of every
installed step type. ``uses`` lists the step types; an ``if``/``then`` per type
gives ``with`` that type's arguments, so an editor completes and checks them.
A value written as a template (``"{{ inputs.port }}"``) is accepted wherever an
argument is, as `glassdome playbook validate` accepts it (it is checked after
rendering, when the run reaches the step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glassdome.playbook.model import Playbook

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["playbook_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# A string holding Jinja syntax, as `glassdome.playbook.template.is_template` sees it.
_TEMPLATE = {"type": "string", "pattern": r"\{\{|\{%", "description": "a template"}
_KEPT_OUTSIDE = ("title", "description", "default")


def playbook_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a playbook file, with every installed step type."""
    from pydantic.json_schema import models_json_schema

    from glassdome.steps.registry import step_types

    types = step_types()
    args: dict[str, type[BaseModel]] = {name: types[name].Args for name in sorted(types)}
    models: list[type[BaseModel]] = [Playbook, *dict.fromkeys(args.values())]
    refs, document = models_json_schema(
        [(model, "validation") for model in models],
        by_alias=True,
        ref_template="#/$defs/{model}",
    )
    defs: dict[str, Any] = document["$defs"]
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        **defs.pop(_def_name(refs[(Playbook, "validation")])),
        "title": "glassdome playbook",
    }
    for model in dict.fromkeys(args.values()):
        _accept_templates(defs[_def_name(refs[(model, "validation")])])
    step = defs["StepSpec"]
    step["properties"]["uses"]["enum"] = list(args)
    step["allOf"] = [
        {
            "if": {"properties": {"uses": {"const": name}}, "required": ["uses"]},
            "then": {"properties": {"with": refs[(model, "validation")]}},
        }
        for name, model in args.items()
    ]
    schema["$defs"] = defs
    return schema


def _def_name(ref: dict[str, Any]) -> str:
    return str(ref["$ref"]).rsplit("/", 1)[1]


def _accept_templates(model: dict[str, Any]) -> None:
    """Let each argument be its own type or a template string."""
    for name, prop in list(model.get("properties", {}).items()):
        outside = {key: prop.pop(key) for key in _KEPT_OUTSIDE if key in prop}
        model["properties"][name] = {**outside, "anyOf": [prop, _TEMPLATE]}
