"""Step types that write credentials straight into the secret store."""

from __future__ import annotations

import secrets as _random
from typing import Any

from pydantic import Field

from glassdome.primitives.names import normalize_name
from glassdome.steps.base import Plan, StepArgs, StepContext, StepFailed, StepType, stored_plan

__all__ = ["SecretGenerate", "SecretRequire", "SecretSet"]


class _Name(StepArgs):
    name: str = Field(description="the secret's name in the store")


class SecretSetArgs(_Name):
    value: str = Field(description="the value to store (masked in all output)")


class SecretSet(StepType[SecretSetArgs]):
    """Store a value; ok when the store already holds exactly that value."""

    Args = SecretSetArgs
    secret_args = frozenset({"value"})
    summary = "store a secret (changed only if the stored value differs)"

    def check(self, args: SecretSetArgs, ctx: StepContext) -> Plan:
        """Compare with the stored value."""
        key = normalize_name(args.name)
        if not args.value:
            raise StepFailed(f"the value for {key} is empty; nothing to store")
        return stored_plan(ctx, key, args.value, "")

    def apply(self, args: SecretSetArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Write the value."""
        ctx.store(normalize_name(args.name), args.value)
        return {}


class SecretRequire(StepType[_Name]):
    """Fail unless the store holds the named secret."""

    Args = _Name
    summary = "fail unless a secret is stored"

    def check(self, args: _Name, ctx: StepContext) -> Plan:
        """Look the name up."""
        key = normalize_name(args.name)
        if not ctx.has_secret(key):
            raise StepFailed(
                f"the secret {key} is not in the store; set it with `glassdome secrets set {key}`"
            )
        return Plan(False, f"{key} is stored")


class SecretGenerateArgs(_Name):
    length: int = Field(48, ge=16, le=4096, description="characters of URL-safe randomness")


class SecretGenerate(StepType[SecretGenerateArgs]):
    """Store a random value, only when the name is not stored yet."""

    Args = SecretGenerateArgs
    summary = "generate a random secret if absent"

    def check(self, args: SecretGenerateArgs, ctx: StepContext) -> Plan:
        """Changed only when the name is absent."""
        key = normalize_name(args.name)
        if ctx.has_secret(key):
            return Plan(False, f"{key} already stored")
        return Plan(True, f"{key} will be generated ({args.length} characters)", stores={key: None})

    def apply(self, args: SecretGenerateArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Generate with the `secrets` module and store."""
        value = _random.token_urlsafe(args.length)[: args.length]
        ctx.register_secret(value)
        ctx.store(normalize_name(args.name), value)
        return {}
