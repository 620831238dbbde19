"""Running a validated playbook: check, then apply what would change; tags, start-at, events."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from glassdome.errors import GlassdomeError, debug_enabled
from glassdome.playbook.loader import LoadedPlaybook
from glassdome.playbook.model import StepSpec
from glassdome.playbook.template import evaluate, render
from glassdome.steps.base import StepContext, StepType

__all__ = ["Recap", "RunOptions", "StepEvent", "run_steps"]

STATUSES = ("ok", "changed", "skipped", "failed")


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run: check mode, tag filters, where to start."""

    check: bool = False
    tags: frozenset[str] = frozenset()
    skip_tags: frozenset[str] = frozenset()
    start_at: str | None = None


@dataclass(frozen=True, slots=True)
class StepEvent:
    """What happened to one step."""

    id: str
    uses: str
    status: str
    duration: float
    message: str
    ignored: bool = False
    name: str | None = None  # the step's human title, when the playbook gives one

    def as_json(self) -> dict[str, Any]:
        """The ``step`` event of ``--json`` output."""
        event = {
            "event": "step",
            "id": self.id,
            "uses": self.uses,
            "status": self.status,
            "duration": round(self.duration, 6),
            "message": self.message,
        }
        if self.ignored:
            event["ignored"] = True
        if self.name is not None:
            event["name"] = self.name
        return event


@dataclass
class Recap:
    """Counts per status, and where a failed run stopped."""

    events: list[StepEvent] = field(default_factory=list)
    stopped_at: str | None = None

    def count(self, status: str) -> int:
        """How many steps ended with *status*."""
        return sum(event.status == status for event in self.events)

    @property
    def ignored(self) -> int:
        """Failed steps whose failure was ignored (``ignore_errors``)."""
        return sum(event.ignored for event in self.events)

    @property
    def failed(self) -> bool:
        """Whether a step failed without ``ignore_errors``."""
        return self.stopped_at is not None

    def as_json(self) -> dict[str, Any]:
        """The ``recap`` event of ``--json`` output."""
        counts: dict[str, Any] = {status: self.count(status) for status in STATUSES}
        return {"event": "recap", **counts, "ignored": self.ignored, "stopped_at": self.stopped_at}


def _selected(step: StepSpec, options: RunOptions) -> str | None:
    """Why a step is skipped by the options, or None when it runs."""
    tags = set(step.tags)
    if options.tags and not tags & options.tags:
        return "not in --tags"
    if tags & options.skip_tags:
        return "in --skip-tags"
    return None


def run_steps(
    loaded: LoadedPlaybook,
    context: dict[str, Any],
    functions: Mapping[str, Callable[..., Any]],
    step_context: StepContext,
    options: RunOptions,
    on_event: Callable[[StepEvent], None],
    on_start: Callable[[StepSpec], None] = lambda step: None,
    prepare: Callable[[StepSpec], None] = lambda step: None,
) -> Recap:
    """Run every step in order; stop at the first failure not ignored.

    *prepare* is called before each step that is not skipped by the options (the
    inputs it uses are asked for then, on a terminal); what it raises ends the run.
    """
    recap = Recap()
    outputs: dict[str, Any] = {}
    context["steps"] = outputs
    started = options.start_at is None
    for spec in loaded.model.steps:
        step_type = loaded.types[spec.id]()
        begin = time.perf_counter()
        started = started or spec.id == options.start_at
        reason = "before --start-at" if not started else _selected(spec, options)
        status, message, ignored = "skipped", reason or "", False
        if reason is None:
            prepare(spec)
            on_start(spec)
            step_context.step_id = spec.id  # what the step's stores record as their source
            try:
                if spec.when is not None and not evaluate(spec.when, context, functions):
                    message = f"when: {spec.when} is false"
                else:
                    status, message, produced = _run_one(
                        step_type, spec, context, functions, step_context, options.check
                    )
                    outputs[spec.id] = produced
            except GlassdomeError as exc:
                status, message, ignored = "failed", str(exc), spec.ignore_errors
            except Exception as exc:
                if debug_enabled(step_context.term.env):
                    raise
                message = f"unexpected {type(exc).__name__}: {exc} (GLASSDOME_DEBUG=1 shows where)"
                status, ignored = "failed", spec.ignore_errors
        if status == "skipped" or status == "failed":
            outputs.setdefault(spec.id, {})
        duration = time.perf_counter() - begin
        message = step_context.shown(message)
        event = StepEvent(spec.id, spec.uses, status, duration, message, ignored, spec.name)
        recap.events.append(event)
        on_event(event)
        if status == "failed" and not ignored:
            recap.stopped_at = spec.id
            break
    return recap


def _run_one(
    step_type: StepType[Any],
    spec: StepSpec,
    context: dict[str, Any],
    functions: Mapping[str, Callable[..., Any]],
    step_context: StepContext,
    check: bool,
) -> tuple[str, str, dict[str, Any]]:
    raw = {
        key: evaluate(value, context, functions)
        if key in step_type.expression_args and isinstance(value, str)
        else render(value, context, functions)
        for key, value in spec.with_.items()
    }
    for key in step_type.secret_args:
        value = raw.get(key)
        for item in value.values() if isinstance(value, dict) else [value]:
            if isinstance(item, str):
                step_context.register_secret(item)
    try:
        args = step_type.Args.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'with'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise GlassdomeError(f"invalid arguments after templating: {problems}") from None
    plan = step_type.check(args, step_context)
    produced = dict(plan.outputs)
    if plan.changes and check:
        step_context.pending.update(plan.stores)
    elif plan.changes:
        produced = step_type.apply(args, step_context, plan)
    for key in step_type.secret_outputs:
        if isinstance(produced.get(key), str):
            step_context.register_secret(produced[key])
    return ("changed" if plan.changes else "ok"), plan.message, produced
