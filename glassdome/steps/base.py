"""What a step type is: argument and output models, a read-only `check`, and an `apply`.

Steps sit below the playbook engine: they see the engine only through what this
module defines (`StepContext`, and the `Answers` Protocol for questions asked
while a playbook runs), never by importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict

from glassdome.errors import GlassdomeError

if TYPE_CHECKING:
    from glassdome.core.secrets import SecretsManager
    from glassdome.primitives.meta import SecretMeta
    from glassdome.primitives.sensitive import SecretText
    from glassdome.ui.console import Terminal

__all__ = [
    "Answers",
    "NoOutput",
    "Plan",
    "Question",
    "StepArgs",
    "StepClass",
    "StepContext",
    "StepFailed",
    "StepType",
    "step_meta",
    "stored_plan",
]

_MAX_SOURCE = 1024  # the longest text a metadata field holds


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
    # What `check` found that `apply` needs (a logged-in client, the list of changes): it
    # travels with the plan, so a step type keeps no state between the two. Never shown.
    data: Any = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Question:
    """A question a step asks while the playbook runs: the answer's name and how to ask."""

    name: str
    prompt: str | None = None
    choices: tuple[str, ...] = ()
    default: str | None = None
    help: str | None = None


class Answers(Protocol):
    """Where a step's questions are answered: ``--set``, the environment, answers file, prompt.

    The playbook engine's input sources satisfy it, so a question asked by a step is
    answered exactly as a playbook input is.
    """

    def answer(self, question: Question) -> str:
        """The answer to *question*; ValueError says why there is none (never quoting it)."""
        ...


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
    # file, and a prompt when interactive. None: the run takes no answers.
    sources: Answers | None = None
    # False with --no-verify: platform steps store credentials without checking them first.
    verify: bool = True
    # Check mode: the secrets earlier steps would have stored (their plans' `stores`), so
    # later steps and secret() see them as a real run would.
    pending: dict[str, str | None] = field(default_factory=dict)
    # Servers already warned about in this run (a warning per server, not per step).
    warned: set[str] = field(default_factory=set)
    # Where the running step stands (set by the engine): what a store records as its source.
    playbook: str | None = None  # relative to the playbook root, e.g. setup/proxmox.yml
    step_id: str | None = None

    @property
    def source(self) -> str:
        """``playbook:<playbook>#<step id>``, the source a store from the running step records.

        ``api`` when the context runs no playbook step (a step type called from Python).
        """
        if self.playbook is None or self.step_id is None:
            return "api"
        return f"playbook:{self.playbook}#{self.step_id}"[:_MAX_SOURCE]

    def store(self, name: str, value: str | SecretText, meta: SecretMeta | None = None) -> None:
        """Store *value* as *name*, recording the running step as its source (and *meta*)."""
        self.secrets().set_secret(name, value, meta=meta, source=self.source)

    def has_secret(self, key: str) -> bool:
        """Whether *key* is stored, or (check mode) an earlier step would store it."""
        return key in self.pending or self.secrets().get_secret(key) is not None

    def stored(self, key: str) -> str | None:
        """The value of *key*: in the store or, in check mode, what an earlier step would store.

        None when there is none, or when the earlier step makes it in a real run only
        (`key in pending` tells the two apart).
        """
        return self.pending[key] if key in self.pending else self.secrets().get_secret(key)


def step_meta(platform: str, *, expires: str | None = None, **identity: str) -> SecretMeta:
    """The metadata a platform step stores with a credential: its platform and identity.

    Identity parts that are empty (not known, e.g. with --no-verify) are left out.
    """
    from glassdome.primitives.meta import SecretMeta

    known = {key: value for key, value in identity.items() if value}
    return SecretMeta(platform=platform, identity=known, expires=expires)


def stored_plan(
    ctx: StepContext, key: str, value: str, said: str, outputs: dict[str, Any] | None = None
) -> Plan:
    """The plan of a step that stores *value* as *key*: ok when it is already there.

    *said* (what the step found, e.g. who the credential belongs to) leads the message.
    """
    import hmac

    stored = ctx.stored(key)
    outputs = {} if outputs is None else outputs
    said = f"{said}; " if said else ""
    if stored is not None and hmac.compare_digest(stored.encode(), value.encode()):
        return Plan(False, f"{said}{key} already stored", outputs)
    verb = "replaced" if stored else "stored"
    return Plan(True, f"{said}{key} will be {verb}", outputs, stores={key: value})


A = TypeVar("A", bound=StepArgs)


class StepType(Generic[A]):
    """Subclass, set `Args` (and `Output`), implement `check` and `apply`.

    The name a playbook's ``uses:`` gives is the one the type is registered under
    (`glassdome.steps.registry`, or a plugin's entry point), nowhere else. `check`
    must not change anything. `apply` makes exactly the change `check` announced
    and returns the outputs; whatever it needs from `check` travels in `Plan.data`.
    Argument names in `secret_args` and output names in `secret_outputs` are masked
    in all output; arguments in `expression_args` are Jinja expressions (written
    without ``{{ }}``) that arrive evaluated.
    """

    Args: ClassVar[type[StepArgs]]
    Output: ClassVar[type[BaseModel]] = NoOutput
    secret_args: ClassVar[frozenset[str]] = frozenset()
    secret_outputs: ClassVar[frozenset[str]] = frozenset()
    expression_args: ClassVar[frozenset[str]] = frozenset()
    summary: ClassVar[str] = ""

    def check(self, args: A, ctx: StepContext) -> Plan:
        """Say what `apply` would change, reading only."""
        raise NotImplementedError

    def apply(self, args: A, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Make the change `check` announced; return the outputs."""
        return dict(plan.outputs)


# A step type as the registry holds it: the class, for any arguments model.
StepClass: TypeAlias = type[StepType[Any]]
