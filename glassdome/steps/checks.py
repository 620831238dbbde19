"""`assert` and `message`: steps that check or say something and change nothing."""

from __future__ import annotations

from pydantic import Field

from glassdome.steps.base import Plan, StepArgs, StepContext, StepFailed, StepType

__all__ = ["Assert", "Message"]


class AssertArgs(StepArgs):
    that: str | bool = Field(description="a Jinja expression, without {{ }}")
    message: str | None = Field(None, description="said when the expression is false")


class Assert(StepType[AssertArgs]):
    """Fail with *message* unless *that* is true."""

    Args = AssertArgs
    # `that` arrives already evaluated: the runner evaluates expression arguments.
    expression_args = frozenset({"that"})
    summary = "fail unless an expression is true"

    def check(self, args: AssertArgs, ctx: StepContext) -> Plan:
        """Pass or fail; never a change."""
        if not args.that:
            raise StepFailed(args.message or "assertion failed")
        return Plan(False, "assertion holds")


class MessageArgs(StepArgs):
    text: str


class Message(StepType[MessageArgs]):
    """Say something in the run's output."""

    Args = MessageArgs
    summary = "print a message"

    def check(self, args: MessageArgs, ctx: StepContext) -> Plan:
        """The message is the step's result message."""
        return Plan(False, args.text)
