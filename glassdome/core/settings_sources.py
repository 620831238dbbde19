"""Where settings come from: the secret-store source, and the order of every source.

Highest first: constructor arguments > process environment > secret store >
``.env`` (``$GLASSDOME_ENV_FILE``, read when the settings are built) > defaults.
The store is asked only for the secret fields no higher source provided, and
is imported only then, so importing settings opens nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
)

from glassdome.primitives.envfile import env_file_path

if TYPE_CHECKING:
    from glassdome.core.secrets import SecretsManager

__all__ = [
    "WITH_STORE",
    "SecretStoreSettingsSource",
    "get_secrets_manager",
    "sources",
    "variable_names",
]


def get_secrets_manager() -> SecretsManager:
    """The process-wide store, imported on first use (importing settings opens nothing)."""
    from glassdome.core.secrets import get_secrets_manager as process_wide

    return process_wide()


# False while glassdome.core.config.LazySettings builds its store-less copy for plain reads.
WITH_STORE: ContextVar[bool] = ContextVar("glassdome_settings_with_store", default=True)


def _is_secret(field: FieldInfo) -> bool:
    annotation = field.annotation
    return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())


class SecretStoreSettingsSource(PydanticBaseSettingsSource):
    """A pydantic-settings source that reads the secret fields from the secret store.

    A secret field's store name is its alias (``proxmox_token_value_02``), else its
    name. Fields a higher source (constructor, environment) already provided, as
    pydantic-settings' `current_state` shows, are not looked up, so a process that
    gets every secret from its environment never opens the store.
    """

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        manager: Callable[[], SecretsManager] = get_secrets_manager,
    ) -> None:
        super().__init__(settings_cls)
        self._manager = manager

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` reads every secret field at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """Return the stored secrets for the fields no higher source provided."""
        provided = {key.lower() for key in self.current_state}
        wanted = [
            str(field.validation_alias or name)
            for name, field in self.settings_cls.model_fields.items()
            if _is_secret(field) and not {name, str(field.validation_alias)} & provided
        ]
        if not wanted:
            return {}
        manager = self._manager()
        found: dict[str, Any] = {}
        for name in wanted:
            value = manager.get_secret(name)
            if value is not None:
                found[name] = SecretStr(value)
        return found


def sources(
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    env_settings: PydanticBaseSettingsSource,
) -> tuple[PydanticBaseSettingsSource, ...]:
    """Constructor > environment > secret store > ``$GLASSDOME_ENV_FILE`` (read now).

    A ``glassdome:NAME`` value in the environment or ``.env`` is the stored secret NAME
    (`glassdome.core.ref_sources`); *env_settings* is replaced by the resolving source.
    """
    from glassdome.core.ref_sources import ResolvingDotEnvSource, ResolvingEnvSource

    with_store = WITH_STORE.get()
    env = ResolvingEnvSource(settings_cls, get_secrets_manager, with_store=with_store)
    dotenv = ResolvingDotEnvSource(
        settings_cls, env_file_path(), get_secrets_manager, with_store=with_store
    )
    if not with_store:
        return init_settings, env, dotenv
    return init_settings, env, SecretStoreSettingsSource(settings_cls), dotenv


def variable_names(settings_cls: type[BaseSettings]) -> set[str]:
    """Every variable set in the environment or ``.env``, lower-cased as the sources read them."""
    found: set[str] = set()
    for source in (
        EnvSettingsSource(settings_cls, case_sensitive=False, env_ignore_empty=True),
        DotEnvSettingsSource(
            settings_cls, env_file=env_file_path(), case_sensitive=False, env_ignore_empty=True
        ),
    ):
        found.update(key for key, value in source.env_vars.items() if value)
    return found
