"""The environment and ``.env`` settings sources, with secret references resolved.

A variable whose value is ``glassdome:NAME`` (`glassdome.primitives.refs`) gets
the stored secret NAME, read when the settings are built: in the process
environment and in ``.env`` alike, for any field. A name the store does not hold
is an error naming the variable and the name, never the reference text as the
value. While `WITH_STORE` is off (the store-less copy `LazySettings` reads plain
fields from), a secret field's reference is left out instead of opening the store.

The fields a reference filled are recorded (`filled_by_references`), so a model's
repr can hide a plain field's value that came from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import DotEnvSettingsSource, EnvSettingsSource
from pydantic_settings.exceptions import SettingsError

from glassdome.errors import GlassdomeError
from glassdome.primitives.refs import is_reference, literal, resolve

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

    from glassdome.core.secrets import SecretsManager

__all__ = ["ResolvingDotEnvSource", "ResolvingEnvSource", "filled_by_references"]

_FILLED: ContextVar[set[str] | None] = ContextVar("glassdome_filled_by_references", default=None)


@contextmanager
def filled_by_references() -> Iterator[set[str]]:
    """Collect the names of the fields a reference filled while settings are built here."""
    found: set[str] = set()
    token = _FILLED.set(found)
    try:
        yield found
    finally:
        _FILLED.reset(token)


def _is_secret(field: FieldInfo) -> bool:
    annotation = field.annotation
    return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())


class _Resolving(EnvSettingsSource):
    """pydantic-settings' env sources, where a reference becomes the stored value."""

    _manager: Callable[[], SecretsManager]
    _with_store: bool
    _where: str

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """The field's value from this source, a reference resolved from the store."""
        for field_key, env_name, is_complex in self._extract_field_info(field, field_name):
            value = self.env_vars.get(env_name)
            if value is None:
                continue
            if not is_reference(value):
                return literal(value), field_key, is_complex
            if not self._with_store and _is_secret(field):
                return None, field_key, is_complex  # the full settings resolve it
            where = f"{env_name.upper()} ({self._where})"
            found = resolve(value, lambda name: self._manager().get_secret(name), where)
            filled = _FILLED.get()
            if filled is not None:
                filled.add(field_name)
            return found, field_key, is_complex
        return super().get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        try:
            data = super().__call__()
        except SettingsError as exc:
            # pydantic-settings wraps whatever a source raises; ours says what to do already.
            if isinstance(exc.__cause__, GlassdomeError):
                raise exc.__cause__ from None
            raise
        return data


class ResolvingEnvSource(_Resolving):
    """The process environment, references resolved from the store."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        manager: Callable[[], SecretsManager],
        *,
        with_store: bool = True,
    ) -> None:
        self._manager = manager
        self._with_store = with_store
        self._where = "in the environment"
        super().__init__(settings_cls)


class ResolvingDotEnvSource(_Resolving, DotEnvSettingsSource):
    """A ``.env`` file, references resolved from the store."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        env_file: Path,
        manager: Callable[[], SecretsManager],
        *,
        with_store: bool = True,
    ) -> None:
        self._manager = manager
        self._with_store = with_store
        self._where = f"in {env_file}"
        super().__init__(settings_cls, env_file=env_file)
