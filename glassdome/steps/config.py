"""`config.set`: write non-secret settings into the ``.env`` file, keeping every other line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from glassdome.core.migration import secret_keys
from glassdome.primitives.envfile import check_writable, read_values, set_values
from glassdome.steps.base import Plan, StepArgs, StepContext, StepFailed, StepType

__all__ = ["ConfigSet"]


class ConfigSetArgs(StepArgs):
    values: dict[str, str] = Field(description="KEY: value pairs for the .env file")
    file: str | None = Field(None, description="default: $GLASSDOME_ENV_FILE or ./.env")

    @field_validator("values")
    @classmethod
    def _settings_not_secrets(cls, values: dict[str, str]) -> dict[str, str]:
        for key in values:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise ValueError(f"{key!r} is not a valid variable name")
        secret = sorted(secret_keys(dict.fromkeys(values, "x")))
        if secret:
            raise ValueError(
                f"{', '.join(secret)} {'is a secret' if len(secret) == 1 else 'are secrets'}: "
                "store it with secret.set, not in .env"
            )
        return values


class ConfigSet(StepType[ConfigSetArgs]):
    """Set keys in ``.env``; ok when they already hold these values."""

    Args = ConfigSetArgs
    summary = "write non-secret settings to .env"

    def _path(self, args: ConfigSetArgs, ctx: StepContext) -> Path:
        return Path(args.file).expanduser() if args.file else ctx.env_file

    def check(self, args: ConfigSetArgs, ctx: StepContext) -> Plan:
        """Compare with what python-dotenv reads from the file now."""
        path = self._path(args, ctx)
        holding = sorted(key for key, value in args.values.items() if ctx.is_secret(value))
        if holding:
            # A secret input or secret() rendered into a value: .env is plaintext.
            raise StepFailed(
                f"{', '.join(holding)}: the value holds a secret; store it with secret.set, "
                "not in .env"
            )
        current = read_values(path) if path.exists() else {}
        changing = sorted(k for k, v in args.values.items() if current.get(k) != v)
        if not changing:
            return Plan(False, f"{path} already has {', '.join(sorted(args.values))}")
        try:
            # What the write would refuse fails here too, so --check does not promise it.
            check_writable({k: args.values[k] for k in changing})
        except ValueError as exc:
            raise StepFailed(str(exc)) from None
        return Plan(True, f"{path}: {', '.join(changing)}")

    def apply(self, args: ConfigSetArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Edit the file in place, atomically."""
        try:
            set_values(self._path(args, ctx), args.values)
        except (ValueError, OSError) as exc:
            raise StepFailed(str(exc)) from None
        return {}
