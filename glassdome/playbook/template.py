"""Jinja2 templating for playbooks: sandboxed, StrictUndefined, ``secret('name')`` lookups.

Templates see ``inputs.NAME``, ``vars.NAME``, ``steps.ID.OUTPUT`` and
``settings.NAME`` (non-secret settings). `references` lists what a template
refers to, so the loader can reject an undefined name before anything runs.

Whatever is derived from a secret is a secret: while a template renders, a
``secret()`` call (it calls `touch`) or the lookup of a secret value under
``inputs``, ``vars`` or ``steps`` marks the render, and the whole result (or the
error it raised) goes to the `SecretValues` found in the context under
`SECRETS_KEY`, which masks it and keeps it out of ``.env``. A value derived this
way marks every later template that reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from glassdome.errors import GlassdomeError

if TYPE_CHECKING:
    from jinja2 import nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

# Jinja2 is imported on first use: a playbook without templates (and every command that
# only lists or loads one without them) never pays for it.

__all__ = [
    "ROOTS",
    "SECRETS_KEY",
    "Reference",
    "SecretValues",
    "TemplateFailed",
    "TemplateSyntax",
    "environment",
    "evaluate",
    "is_template",
    "references",
    "render",
    "touch",
]

ROOTS = ("inputs", "vars", "steps", "settings")
SECRETS_KEY = "glassdome:secrets"  # not a Jinja name: templates never see it
_WATCHED = ("inputs", "vars", "steps")


class SecretValues(Protocol):
    """The run's secret values: which are known, and where a secret-derived value goes."""

    def knows(self, value: str) -> bool:
        """Whether *value* is a secret or a value derived from one."""
        ...

    def derive(self, text: str) -> None:
        """*text* was computed from a secret: treat it as one from now on."""
        ...


class _Touched:
    __slots__ = ("hit",)

    def __init__(self) -> None:
        self.hit = False


_rendering: ContextVar[_Touched | None] = ContextVar("glassdome_rendering", default=None)


def touch() -> None:
    """The template being rendered read a secret (``secret()`` calls this)."""
    current = _rendering.get()
    if current is not None:
        current.hit = True


def _holds_secret(value: object, secrets: SecretValues) -> bool:
    if isinstance(value, str):
        return secrets.knows(value)
    if isinstance(value, Mapping):
        return any(_holds_secret(item, secrets) for item in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_secret(item, secrets) for item in value)
    return False


class _Watched(Mapping[str, Any]):
    """A read-only view of ``inputs``, ``vars`` or ``steps`` whose secret values mark the render.

    Every way a template reaches a value (attribute, subscript, ``items()``,
    ``values()``, ``get``, filters that iterate) goes through ``__getitem__``.
    """

    def __init__(self, data: Mapping[str, Any], secrets: SecretValues) -> None:
        self._data = data
        self._secrets = secrets

    def __getitem__(self, key: str) -> Any:
        value = self._data[key]
        if isinstance(value, Mapping):
            return _Watched(value, self._secrets)
        if _holds_secret(value, self._secrets):
            touch()
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def _scope(
    context: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]
) -> dict[str, Any]:
    """What a template sees: the context (secret-watching views) and the functions."""
    secrets: SecretValues | None = context.get(SECRETS_KEY)
    scope: dict[str, Any] = {}
    for name, value in context.items():
        if name == SECRETS_KEY:
            continue
        if secrets is not None and name in _WATCHED and isinstance(value, Mapping):
            value = _Watched(value, secrets)
        scope[name] = value
    scope.update(functions)
    return scope


class TemplateFailed(GlassdomeError):
    """A template could not be rendered (syntax, undefined name, or a failing lookup)."""


class TemplateSyntax(TemplateFailed):
    """A template that does not parse or compile; ``message`` says what Jinja found."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Reference:
    """One name a template uses: a root (``inputs``) and the attribute path after it."""

    root: str
    path: tuple[str, ...]


@cache
def environment() -> ImmutableSandboxedEnvironment:
    """The shared sandboxed environment (no autoescape: values go to APIs, not HTML)."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    # ``tojson`` of a read-only view (inputs, settings) reads it through its lookups.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _json_default}
    return env


def _json_default(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value.items())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def is_template(value: object) -> bool:
    """Whether *value* is a string that holds Jinja syntax."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _attribute_path(node: nodes.Node) -> tuple[str, tuple[str, ...]] | None:
    from jinja2 import nodes

    path: list[str] = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            path.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            path.append(node.arg.value)
        else:
            path.clear()  # a computed key: only the root can be checked
        node = node.node
    if isinstance(node, nodes.Name):
        return node.name, tuple(reversed(path))
    return None


def _parse(source: str, *, expression: bool) -> nodes.Template:
    from jinja2 import TemplateSyntaxError

    env = environment()
    text = "{{ (" + source + ") }}" if expression else source
    # Parsing alone does not find unknown filters and tests; compiling does. An expression
    # is compiled as itself, so a syntax error speaks of it rather than of the wrapper.
    # Compiled through the same caches the run uses, so each template compiles once.
    try:
        if expression:
            _compiled_expression(source)
        else:
            _compiled_template(text)
        return env.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateSyntax(exc.message or str(exc)) from None


@lru_cache(maxsize=4096)
def references(source: str, *, expression: bool = False) -> tuple[Reference, ...]:
    """Every root name the template refers to, with its longest static attribute path.

    Raises `TemplateSyntax` when the template does not parse or compile. Cached: a
    playbook repeats the same expressions, and each is parsed once.
    """
    return tuple(_references(source, expression=expression))


def _references(source: str, *, expression: bool) -> Iterator[Reference]:
    from jinja2 import nodes

    tree = _parse(source, expression=expression)
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    chains = list(tree.find_all((nodes.Getattr, nodes.Getitem)))
    inside = {id(chain.node) for chain in chains}  # type: ignore[attr-defined]  # every link but the outermost of a chain
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if id(node) in inside:
            continue
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in assigned:
                yield Reference(node.name, ())
            continue
        found = _attribute_path(node)
        if found is not None and found[0] not in assigned:
            yield Reference(*found)


def render(
    value: Any, context: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]
) -> Any:
    """Render every template string inside *value* (dicts and lists are walked)."""
    if isinstance(value, str):
        if not is_template(value):
            return value
        text: str = _tracked(
            context, f"template {_short(value)!r}", _compiled_template(value).render, functions
        )
        return text
    if isinstance(value, dict):
        return {k: render(v, context, functions) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context, functions) for v in value]
    return value


def evaluate(
    expression: str, context: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]
) -> bool:
    """Whether a bare Jinja expression (``when:``, ``that:``, no ``{{ }}``) is true.

    The truth test happens here too: testing an undefined name raises, and that
    must become the same one-line error as any other template problem.
    """
    compiled = _compiled_expression(expression)
    return bool(
        _tracked(
            context,
            f"expression {_short(expression)!r}",
            lambda scope: bool(compiled(**scope)),  # the truth test may raise too
            functions,
        )
    )


def _tracked(
    context: Mapping[str, Any],
    what: str,
    run: Callable[[dict[str, Any]], Any],
    functions: Mapping[str, Callable[..., Any]],
) -> Any:
    """Run a compiled template; what it makes of a secret (text or error) is a secret."""
    from jinja2 import TemplateError

    secrets: SecretValues | None = context.get(SECRETS_KEY)
    touched = _Touched()
    token = _rendering.set(touched)
    try:
        result = run(_scope(context, functions))
    except Exception as exc:
        if touched.hit and secrets is not None:
            secrets.derive(str(exc))  # a message quoting a value derived from a secret
        if isinstance(exc, TemplateError):
            raise TemplateFailed(f"{what}: {exc}") from None
        raise
    finally:
        _rendering.reset(token)
    if touched.hit and secrets is not None and isinstance(result, str):
        secrets.derive(result)
    return result


@lru_cache(maxsize=1024)
def _compiled_expression(expression: str) -> Any:
    return environment().compile_expression(expression, undefined_to_none=False)


@lru_cache(maxsize=4096)
def _compiled_template(source: str) -> Any:
    return environment().from_string(source)


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."
