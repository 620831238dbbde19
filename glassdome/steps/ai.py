"""Step types for the ai setup wizard."""

from __future__ import annotations

from glassdome.steps.base import StepType

__all__ = ["STEP_TYPES"]

STEP_TYPES: tuple[type[StepType], ...] = ()  # type: ignore[type-arg]
