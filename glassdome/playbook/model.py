"""The shape of a playbook file, as pydantic models (``glassdome playbook schema`` prints it)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["InputSpec", "Playbook", "StepSpec", "Validation"]

InputType = Literal["str", "int", "bool", "choice", "secret", "host", "url", "port", "path"]
_IDENTIFIER = r"[a-z_][a-z0-9_]*"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Validation(_Strict):
    """Checks an input's value must pass: a regex (full match), and a min and max.

    ``min``/``max`` bound the number for ``int`` and ``port``, the length otherwise.
    """

    regex: str | None = None
    min: int | None = None
    max: int | None = None

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class InputSpec(_Strict):
    """One question a playbook asks (or takes from --set, the environment, an answers file)."""

    name: str = Field(pattern=f"^{_IDENTIFIER}$", description="referenced as inputs.NAME")
    prompt: str | None = Field(None, description="the question; defaults to the name")
    type: InputType = "str"
    default: Any = Field(None, description="used when nothing else gives a value; may be templated")
    choices: list[str] | None = None
    validate_: Validation | None = Field(None, alias="validate")
    help: str | None = None
    when: str | None = Field(
        None, description="a Jinja expression; the input is asked only if true"
    )

    @model_validator(mode="after")
    def _choices_match_type(self) -> InputSpec:
        if self.type == "choice" and not self.choices:
            raise ValueError("an input of type 'choice' needs 'choices'")
        if self.choices is not None and self.type != "choice":
            raise ValueError("'choices' is only allowed with type: choice")
        if self.type == "secret" and self.default is not None:
            raise ValueError("a secret input cannot have a default (it would sit in the file)")
        return self


class StepSpec(_Strict):
    """One step: an id, the step type it uses, and that type's arguments."""

    id: str = Field(pattern=f"^{_IDENTIFIER}$", description="unique and stable; steps.ID.OUTPUT")
    uses: str = Field(description="the step type, e.g. secret.set")
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    when: str | None = Field(None, description="a Jinja expression; the step runs only if true")
    tags: list[str] = Field(default_factory=list)
    ignore_errors: bool = False
    name: str | None = Field(None, description="a human title for the recap")


class Playbook(_Strict):
    """A whole playbook file."""

    name: str
    description: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    inputs: list[InputSpec] = Field(default_factory=list)
    steps: list[StepSpec]

    @model_validator(mode="after")
    def _unique(self) -> Playbook:
        for kind, names in (
            ("input", [i.name for i in self.inputs]),
            ("step id", [s.id for s in self.steps]),
        ):
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    raise ValueError(f"duplicate {kind} {name!r}")
                seen.add(name)
        return self
