"""What a step type is: argument and output models, a read-only `check`, and an `apply`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from glassdome.errors import GlassdomeError

if TYPE_CHECKING:
    from glassdome.core.secrets import SecretsManager
    from glassdome.ui.console import Terminal

__all__ = [
    "NoOutput",
    "Plan",
    "StepArgs",
    "StepContext",
    "StepFailed",
    "StepType",
    "stored_plan",
]


class StepFailed(GlassdomeError):
    """A step could not do its work; the message says why and what to do."""


class StepArgs(BaseModel):
    """Base of every step type's arguments: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoOutput(BaseModel):
    """A step type that produces no outputs."""

    model_config = ConfigDict(extra="forbid")


@dataclass(slots=True)
class Plan:
    """What `check` found: whether applying would change anything, and why.

    *outputs* known at check time (read-only facts such as a fingerprint) are
    available to later steps even in check mode.
    """

    changes: bool
    message: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    # The secrets `apply` would store, by name (None: a value only `apply` makes). In check
    # mode the runner remembers them, so later steps see them as a real run would.
    stores: dict[str, str | None] = field(default_factory=dict)


@dataclass(slots=True)
class StepContext:
    """The world a step sees: the store, the ``.env`` file, the terminal, and redaction."""

    secrets: Callable[[], SecretsManager]
    env_file: Path
    term: Terminal
    register_secret: Callable[[str], None]
    # Whether a text holds a value registered as secret: such text must not reach a file.
    is_secret: Callable[[str], bool] = lambda text: False
    # A step's message as it may be shown: a value that is (or was derived from) a secret is
    # masked whole, however short (string matching cannot mask a two-character secret).
    shown: Callable[[str], str] = lambda text: text
    check_mode: bool = False
    # Answers for questions asked while steps run (`ask`): --set, environment, answers
    # file, and a prompt when interactive. A glassdome.playbook.inputs.InputSources.
    sources: Any = None
    # False with --no-verify: platform steps store credentials without checking them first.
    verify: bool = True
    # Check mode: the secrets earlier steps would have stored (their plans' `stores`), so
    # later steps and secret() see them as a real run would.
    pending: dict[str, str | None] = field(default_factory=dict)
    # Servers already warned about in this run (a warning per server, not per step).
    warned: set[str] = field(default_factory=set)

    def has_secret(self, key: str) -> bool:
        """Whether *key* is stored, or (check mode) an earlier step would store it."""
        return key in self.pending or self.secrets().get_secret(key) is not None


def stored_plan(
    ctx: StepContext, key: str, value: str, said: str, outputs: dict[str, Any] | None = None
) -> Plan:
    """The plan of a step that stores *value* as *key*: ok when it is already there.

    *said* (what the step found, e.g. who the credential belongs to) leads the message.
    """
    import hmac

    stored = ctx.pending[key] if key in ctx.pending else ctx.secrets().get_secret(key)
    outputs = {} if outputs is None else outputs
    said = f"{said}; " if said else ""
    if stored is not None and hmac.compare_digest(stored.encode(), value.encode()):
        return Plan(False, f"{said}{key} already stored", outputs)
    verb = "replaced" if stored else "stored"
    return Plan(True, f"{said}{key} will be {verb}", outputs, stores={key: value})


A = TypeVar("A", bound=StepArgs)


class StepType(Generic[A]):
    """Subclass, set `name`, `Args` (and `Output`), implement `check` and `apply`.

    `check` must not change anything. `apply` makes exactly the change `check`
    announced and returns the outputs. Secret argument names listed in
    `secret_args` and output names in `secret_outputs` are masked in all output.
    """

    name: ClassVar[str]
    Args: ClassVar[type[StepArgs]]
    Output: ClassVar[type[BaseModel]] = NoOutput
    secret_args: ClassVar[frozenset[str]] = frozenset()
    secret_outputs: ClassVar[frozenset[str]] = frozenset()
    summary: ClassVar[str] = ""

    def check(self, args: A, ctx: StepContext) -> Plan:
        """Say what `apply` would change, reading only."""
        raise NotImplementedError

    def apply(self, args: A, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Make the change `check` announced; return the outputs."""
        return dict(plan.outputs)
