"""`ask`: a question whose choices are only known while the playbook runs (e.g. which node)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from glassdome.steps.base import Plan, Question, StepArgs, StepContext, StepFailed, StepType

__all__ = ["Ask"]


class AskArgs(StepArgs):
    input: str = Field(pattern=r"^[a-z_][a-z0-9_]*$", description="answer name: --set NAME=...")
    prompt: str | None = None
    choices: list[str] | None = Field(None, description="the answer must be one of these")
    default: str | None = None
    help: str | None = None

    @field_validator("choices", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        # A template renders to text: "{{ steps.nodes.names | join(',') }}" -> a list.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()] or None
        return value

    @field_validator("default", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        # A templated default that renders empty means "no default".
        return None if isinstance(value, str) and not value.strip() else value


class AskOutput(BaseModel):
    value: str


class Ask(StepType[AskArgs]):
    """Take an answer from --set, GLASSDOME_INPUT_<NAME>, the answers file or a prompt.

    Used when the choices come from an earlier step (the nodes a server reported).
    The answer is resolved as a playbook input is: an invalid given value is refused
    with the reason and, on a terminal, asked for again. Without a terminal, a missing
    answer falls back to *default*, else the step fails.
    """

    Args = AskArgs
    Output = AskOutput
    summary = "ask a question during the run"

    def check(self, args: AskArgs, ctx: StepContext) -> Plan:
        """Answer the question (asking only if nothing else answers it); changes nothing."""
        if ctx.sources is None:
            raise StepFailed(f"{args.input}: this run takes no answers, so nothing can answer it")
        question = Question(
            args.input, args.prompt, tuple(args.choices or ()), args.default, args.help
        )
        try:
            value = ctx.sources.answer(question)
        except ValueError as exc:
            raise StepFailed(f"{args.input}: {exc}") from None
        return Plan(False, f"{args.input}: {value}", {"value": value})
