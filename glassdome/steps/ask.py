"""`ask`: a question whose choices are only known while the playbook runs (e.g. which node)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from glassdome.playbook.model import InputSpec
from glassdome.steps.base import Plan, StepArgs, StepContext, StepFailed, StepType

__all__ = ["STEP_TYPES", "Ask"]


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
    Without a terminal, a missing answer falls back to *default*, else the step fails.
    """

    name = "ask"
    Args = AskArgs
    Output = AskOutput
    summary = "ask a question during the run"

    def check(self, args: AskArgs, ctx: StepContext) -> Plan:
        """Answer the question (asking only if nothing else answers it); changes nothing."""
        from glassdome.playbook.inputs import convert

        spec = InputSpec.model_validate(
            {
                "name": args.input,
                "prompt": args.prompt,
                "type": "choice" if args.choices else "str",
                "choices": args.choices or None,
                "help": args.help,
            }
        )
        sources = ctx.sources
        has, raw, origin = sources.given(args.input) if sources is not None else (False, None, "")
        try:
            if has:
                value: Any = convert(spec, raw)
            elif sources is not None and sources.interactive and sources.ask is not None:
                value = sources.ask(spec, args.default, lambda text: convert(spec, text))
            elif args.default is not None:
                value = convert(spec, args.default)
            else:
                raise StepFailed(
                    f"{args.input}: no answer and no terminal to ask on; give it with "
                    f"--set {args.input}=VALUE"
                    + (f" (one of: {', '.join(args.choices)})" if args.choices else "")
                )
        except ValueError as exc:
            raise StepFailed(
                f"{args.input}: {exc}" + (f" (from {origin})" if origin else "")
            ) from None
        return Plan(False, f"{args.input}: {value}", {"value": value})


STEP_TYPES = (Ask,)
