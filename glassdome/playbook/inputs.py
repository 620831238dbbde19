"""Where input values come from: --set > GLASSDOME_INPUT_<NAME> > answers file > prompt > default.

Every value is converted to its type and validated the same way whatever its
source. Without a terminal (or with --no-input) every missing or invalid input
is listed at once and nothing runs. Values of secret inputs are registered for
masking as soon as they are known and never written anywhere. Questions steps
ask while the playbook runs (`ask`) are answered by the same sources, the same
way (`InputSources.answer`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from glassdome.errors import InputsMissing, UsageError
from glassdome.playbook.model import InputSpec
from glassdome.playbook.template import TemplateFailed, evaluate, render
from glassdome.steps.base import Question

__all__ = [
    "InputSources",
    "InputsMissing",
    "check_names",
    "convert",
    "register_given",
    "resolve_inputs",
    "resolve_one",
]

ENV_PREFIX = "GLASSDOME_INPUT_"
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


def _is_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        labels = text.rstrip(".").split(".")
        return len(text) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)
    return True


def convert(spec: InputSpec, raw: Any) -> Any:
    """Turn *raw* (text or a YAML value) into the input's type, or raise ValueError saying why.

    Messages never quote the value: it may be a secret typed in the wrong place.
    """
    kind = spec.type
    if raw is None or (isinstance(raw, str) and raw == "" and kind != "str"):
        raise ValueError("a value is required")
    if kind in ("int", "port"):
        value: Any = _number(kind, raw)
    elif kind == "bool":
        value = _boolean(raw)
    else:
        value = _text(spec, raw)
    _check_rules(spec, value)
    return value


def _number(kind: str, raw: Any) -> int:
    if isinstance(raw, bool) or not re.fullmatch(r"[+-]?\d+", str(raw).strip()):
        raise ValueError("must be a whole number")
    value = int(str(raw).strip())
    if kind == "port" and not 1 <= value <= 65535:
        raise ValueError("must be a port number from 1 to 65535")
    return value


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text not in _TRUE | _FALSE:
        raise ValueError("must be yes or no (true/false)")
    return text in _TRUE


def _text(spec: InputSpec, raw: Any) -> str:
    kind = spec.type
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise ValueError("must be text")  # noqa: TRY004 - callers catch ValueError for any bad value
    value = str(raw)
    if kind == "choice" and value not in (spec.choices or []):
        raise ValueError(f"must be one of: {', '.join(spec.choices or [])}")
    if kind == "secret" and not value:
        raise ValueError("a value is required")
    if kind == "host" and not _is_host(value):
        raise ValueError("must be a host name or IP address (no scheme or port)")
    if kind == "url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
    return str(Path(value).expanduser()) if kind == "path" else value


def _check_rules(spec: InputSpec, value: Any) -> None:
    rules = spec.validate_
    if rules is None:
        return
    if rules.regex is not None and not re.fullmatch(rules.regex, str(value)):
        raise ValueError(f"must match {rules.regex}")
    numeric = spec.type in ("int", "port")
    size = value if numeric else len(str(value))
    unit = "" if numeric else " characters"
    if rules.min is not None and size < rules.min:
        raise ValueError(f"must be at least {rules.min}{unit}")
    if rules.max is not None and size > rules.max:
        raise ValueError(f"must be at most {rules.max}{unit}")


@dataclass
class InputSources:
    """Everything that can give an input a value, highest precedence first."""

    sets: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    answers: Mapping[str, Any] = field(default_factory=dict, repr=False)
    interactive: bool = False
    ask: Callable[[InputSpec, str | None, Callable[[str], Any]], Any] | None = None
    # Told why a given value is refused before the prompt asks for another one.
    warn: Callable[[str], None] = lambda message: None

    def given(self, name: str) -> tuple[bool, Any, str]:
        """Whether a non-interactive source has a value for *name*, the value, and which."""
        if name in self.sets:
            return True, self.sets[name], "--set"
        variable = ENV_PREFIX + name.upper()
        if variable in self.env:
            return True, self.env[variable], variable
        if name in self.answers:
            return True, self.answers[name], "the answers file"
        return False, None, ""

    def answer(self, question: Question) -> str:
        """A step's question, answered as an input is (the `Answers` protocol of steps)."""
        spec = InputSpec.model_validate(
            {
                "name": question.name,
                "prompt": question.prompt,
                "type": "choice" if question.choices else "str",
                "choices": list(question.choices) or None,
                "help": question.help,
            }
        )
        try:
            return str(_resolve(spec, self, question.default))
        except _Unanswered as exc:
            if not exc.missing:
                raise
            one_of = f" (one of: {', '.join(question.choices)})" if question.choices else ""
            raise ValueError(
                f"no answer and no terminal to ask on; give it with --set {question.name}=VALUE"
                + one_of
            ) from None


class _Unanswered(ValueError):
    """No valid value and no terminal to ask on; *missing* when no source gave one."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.missing = missing


def _resolve(spec: InputSpec, sources: InputSources, default: Any) -> Any:
    """One value: given (converted), else *default* without a terminal, else asked for.

    A given value that does not convert is refused with the reason; on a terminal the
    reason is told and the question asked. Raises `_Unanswered` when there is no terminal.
    """
    has, raw, origin = sources.given(spec.name)
    if has:
        try:
            return convert(spec, raw)
        except ValueError as exc:
            if not sources.interactive:
                raise _Unanswered(f"{exc} (from {origin})") from None
            sources.warn(f"{spec.name}: {exc} (from {origin}); asking instead")
    elif not sources.interactive:
        if default is None:
            raise _Unanswered(f"missing ({spec.prompt or spec.name})", missing=True)
        try:
            return convert(spec, default)
        except ValueError as exc:
            raise _Unanswered(f"the default {exc}") from None
    assert sources.ask is not None  # noqa: S101 - interactive implies a prompt
    shown = (
        None if default is None else str(default).lower() if spec.type == "bool" else str(default)
    )
    return sources.ask(spec, shown, partial(convert, spec))


def check_names(specs: list[InputSpec], sources: InputSources, asked: Iterable[str] = ()) -> None:
    """Refuse --set and answers for inputs the playbook does not declare (typos).

    *asked* names the answers `ask` steps take while the playbook runs.
    """
    declared = {spec.name for spec in specs} | set(asked)
    unknown = sorted((set(sources.sets) | set(sources.answers)) - declared)
    if unknown:
        raise UsageError(
            f"unknown input(s) {', '.join(unknown)}; this playbook's inputs: "
            f"{', '.join(sorted(declared)) or 'none'}"
        )


def register_given(
    specs: Iterable[InputSpec], sources: InputSources, register_secret: Callable[[str], None]
) -> None:
    """Mask every secret input's given value at once (and warn about ``--set`` for one)."""
    for spec in specs:
        has, raw, origin = sources.given(spec.name)
        if spec.type != "secret" or not has or raw is None:
            continue
        register_secret(str(raw))  # an answers file may give a number
        if origin == "--set":
            # As `secrets set --value` warns: the name only, never the value.
            sources.warn(
                f"--set {spec.name}=... puts the secret in your shell history and in `ps` "
                f"output; prefer the hidden prompt, {ENV_PREFIX}{spec.name.upper()} "
                "or an answers file"
            )


def resolve_one(
    spec: InputSpec,
    sources: InputSources,
    context: dict[str, Any],
    functions: Mapping[str, Callable[..., Any]],
) -> Any:
    """One input's value (None when its ``when`` is false), from the earlier inputs in *context*.

    Raises `TemplateFailed` when its ``when`` or default cannot be worked out, and
    `_Unanswered` (a ValueError) when it has no value and nobody can be asked.
    """
    if spec.when is not None and not evaluate(spec.when, context, functions):
        return None
    has = sources.given(spec.name)[0]
    # Rendered only when needed: a value given elsewhere makes the default irrelevant.
    needed = spec.default is not None and (sources.interactive or not has)
    default = render(spec.default, context, functions) if needed else None
    return _resolve(spec, sources, default)


def resolve_inputs(
    specs: list[InputSpec],
    sources: InputSources,
    context: dict[str, Any],
    functions: Mapping[str, Callable[..., Any]],
    register_secret: Callable[[str], None],
    asked: Iterable[str] = (),
) -> dict[str, Any]:
    """Give every input its value, in order (a default may use earlier inputs)."""
    check_names(specs, sources, asked)
    register_given(specs, sources, register_secret)
    values: dict[str, Any] = {}
    context["inputs"] = values
    problems: list[str] = []
    for spec in specs:
        try:
            values[spec.name] = resolve_one(spec, sources, context, functions)
        except TemplateFailed as exc:
            if not problems:
                raise
            # It uses an input listed above, which has no value: list it too, run nothing.
            problems.append(f"{spec.name}: not resolved ({exc})")
            continue
        except _Unanswered as exc:
            problems.append(f"{spec.name}: {exc}")
            continue
        if spec.type == "secret" and values[spec.name] is not None:
            register_secret(values[spec.name])
    if problems:
        raise InputsMissing(problems)
    return values
