"""Settings: the secret store first, then ``.env``, so existing ``.env`` setups keep working.

```python
from glassdome.core.config import settings
settings.proxmox_host                                   # plain setting: never opens the store
settings.proxmox_token_value.get_secret_value()         # first secret read opens the store
```

Precedence, highest first: constructor arguments > process environment >
secret store > ``.env`` (``$GLASSDOME_ENV_FILE``, default ``./.env``) > defaults.

Importing this module touches nothing. `settings` builds its values on first
use, and only a *secret* field opens the store (once per process, through
`get_secrets_manager`). A store that cannot be unlocked makes a secret read
raise the store's error; it never hands back a stale ``.env`` value instead.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from glassdome.primitives.envfile import ENV_FILE_VARIABLE, env_file_path
from glassdome.primitives.names import KNOWN_SECRETS, is_secret_variable

if TYPE_CHECKING:
    from glassdome.core.secrets import SecretsManager


def get_secrets_manager() -> SecretsManager:
    """The process-wide store, imported on first use (importing settings opens nothing)."""
    from glassdome.core.secrets import get_secrets_manager as process_wide

    return process_wide()


__all__ = [
    "ENV_FILE_VARIABLE",
    "SECRET_FIELDS",
    "ProxmoxInstance",
    "SecretStoreSettingsSource",
    "Settings",
    "env_file_path",
    "settings",
]


SECRET_FIELDS = KNOWN_SECRETS
_INSTANCE_TOKEN = re.compile(r"proxmox_token_value_(\d{2})", re.IGNORECASE)
_INSTANCE_KEY = re.compile(r"PROXMOX_(\d{2})_([A-Z_]+)", re.IGNORECASE)


# False while LazySettings builds its store-less copy for plain (non-secret) reads.
_WITH_STORE: ContextVar[bool] = ContextVar("glassdome_settings_with_store", default=True)


class SecretStoreSettingsSource(PydanticBaseSettingsSource):
    """A pydantic-settings source that reads the secret fields from the secret store.

    Fields a higher source (constructor, environment) already provides are not
    looked up, so a process that gets every secret from its environment never
    opens the store.
    """

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        above: tuple[PydanticBaseSettingsSource, ...],
        manager: Callable[[], SecretsManager] = get_secrets_manager,
    ) -> None:
        super().__init__(settings_cls)
        self._above = above
        self._manager = manager

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` reads every secret field at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """Return the stored secrets for the fields no higher source provided."""
        provided: set[str] = set()
        for source in self._above:
            provided.update(k.lower() for k in source())
        wanted = [name for name in SECRET_FIELDS if name not in provided]
        if not wanted:
            return {}
        manager = self._manager()
        found: dict[str, Any] = {}
        for name in wanted:
            value = manager.get_secret(name)
            if value is not None:
                found[name] = SecretStr(value)
        return found


class Settings(BaseSettings):
    """glassdome's configuration: the seed's secrets as `SecretStr`, plus the setup settings."""

    model_config = SettingsConfigDict(
        defer_build=True,  # the schema is built on first use, not at import
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,  # a validation error must never echo a value
        env_ignore_empty=True,
    )

    # Secrets (store names are the field names).
    proxmox_password: SecretStr | None = None
    proxmox_token_value: SecretStr | None = None
    esxi_password: SecretStr | None = None
    azure_client_secret: SecretStr | None = None
    aws_secret_access_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    mail_api: SecretStr | None = None
    secret_key: SecretStr | None = None

    # Proxmox VE (instance suffixes: PROXMOX_02_HOST, ... see proxmox_instance()).
    proxmox_host: str | None = None
    proxmox_port: int = 8006
    proxmox_user: str = "root@pam"
    proxmox_token_name: str | None = None
    proxmox_node: str | None = None
    proxmox_verify_ssl: bool = True
    proxmox_ca_file: str | None = None
    proxmox_tls_fingerprint: str | None = None
    # VMware ESXi / vCenter
    esxi_host: str | None = None
    esxi_port: int = 443
    esxi_user: str = "root"
    esxi_verify_ssl: bool = True
    esxi_ca_file: str | None = None
    esxi_tls_fingerprint: str | None = None
    # Azure
    azure_tenant_id: str | None = None
    azure_client_id: str | None = None
    azure_subscription_id: str | None = None
    azure_authority_host: str = "login.microsoftonline.com"
    azure_arm_endpoint: str = "https://management.azure.com"
    azure_ca_file: str | None = None
    # AWS
    aws_access_key_id: str | None = None
    aws_region: str | None = None
    # AI providers
    openai_base_url: str = "https://api.openai.com/v1"
    openai_ca_file: str | None = None
    anthropic_base_url: str = "https://api.anthropic.com"
    anthropic_ca_file: str | None = None
    # Mailcow
    mail_host: str | None = None
    mail_port: int = 443
    mail_verify_ssl: bool = True
    mail_ca_file: str | None = None
    mail_tls_fingerprint: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Constructor > environment > secret store > ``$GLASSDOME_ENV_FILE`` > defaults."""
        dotenv = DotEnvSettingsSource(settings_cls, env_file=env_file_path())
        if not _WITH_STORE.get():
            return init_settings, env_settings, dotenv
        store = SecretStoreSettingsSource(settings_cls, (init_settings, env_settings))
        return init_settings, env_settings, store, dotenv

    def proxmox_instances(self) -> list[str]:
        """Every Proxmox instance suffix found in the store, environment and ``.env``.

        ``""`` is the default instance (``PROXMOX_HOST``, ``proxmox_token_value``);
        others are two-digit suffixes (``PROXMOX_02_HOST``, ``proxmox_token_value_02``).
        """
        found: set[str] = set()
        if self.proxmox_host or self.proxmox_token_value:
            found.add("")
        for name in get_secrets_manager().list_secrets():
            if match := _INSTANCE_TOKEN.fullmatch(name):
                found.add(match.group(1))
        for key in _plain_sources():
            if (match := _INSTANCE_KEY.fullmatch(key)) or (match := _INSTANCE_TOKEN.fullmatch(key)):
                found.add(match.group(1))
        return sorted(found)

    def proxmox_instance(self, suffix: str = "") -> ProxmoxInstance:
        """Host, port, user, token name and token value of one Proxmox instance."""
        if not suffix:
            return ProxmoxInstance(
                suffix="",
                host=self.proxmox_host,
                port=self.proxmox_port,
                user=self.proxmox_user,
                token_name=self.proxmox_token_name,
                token_value=self.proxmox_token_value,
                node=self.proxmox_node,
                verify_ssl=self.proxmox_verify_ssl,
                ca_file=self.proxmox_ca_file,
                tls_fingerprint=self.proxmox_tls_fingerprint,
            )
        if not re.fullmatch(r"\d{2}", suffix):
            raise ValueError(
                f"a Proxmox instance suffix is two digits such as '02', not {suffix!r}"
            )
        plain = _plain_sources()

        def value(key: str) -> str | None:
            return plain.get(f"PROXMOX_{suffix}_{key}")

        token_name = f"proxmox_token_value_{suffix}"
        token = os.environ.get(token_name.upper()) or get_secrets_manager().get_secret(token_name)
        token = token or plain.get(token_name.upper())
        return ProxmoxInstance(
            suffix=suffix,
            host=value("HOST"),
            port=int(value("PORT") or 8006),
            user=value("USER") or "root@pam",
            token_name=value("TOKEN_NAME"),
            token_value=SecretStr(token) if token else None,
            node=value("NODE"),
            verify_ssl=(value("VERIFY_SSL") or "true").lower() not in {"0", "false", "no", "off"},
            ca_file=value("CA_FILE"),
            tls_fingerprint=value("TLS_FINGERPRINT"),
        )


def _plain_sources() -> dict[str, str]:
    """``.env`` then the process environment (later wins), keys upper-cased."""
    from dotenv import dotenv_values

    merged = {k.upper(): v for k, v in dotenv_values(env_file_path()).items() if v}
    merged.update({k.upper(): v for k, v in os.environ.items() if v})
    return merged


@dataclass(frozen=True, slots=True)
class ProxmoxInstance:
    """One Proxmox VE endpoint and its API token; the token value stays a `SecretStr`."""

    suffix: str
    host: str | None
    port: int
    user: str
    token_name: str | None
    token_value: SecretStr | None
    node: str | None
    verify_ssl: bool
    ca_file: str | None
    tls_fingerprint: str | None


class LazySettings:
    """Module-level `settings`: built on first use; only secret fields open the store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plain: Settings | None = None
        self._full: Settings | None = None

    def _get_plain(self) -> Settings:
        with self._lock:
            if self._plain is None:
                token = _WITH_STORE.set(False)
                try:
                    self._plain = Settings()
                finally:
                    _WITH_STORE.reset(token)
            return self._plain

    def _get_full(self) -> Settings:
        with self._lock:
            if self._full is None:
                self._full = Settings()
            return self._full

    def __getattr__(self, name: str) -> Any:
        if is_secret_variable(name) or name.startswith("proxmox_instance"):
            return getattr(self._get_full(), name)
        return getattr(self._get_plain(), name)

    def reload(self) -> None:
        """Forget the values read so far (after the environment or ``.env`` changed)."""
        with self._lock:
            self._plain = self._full = None

    def __repr__(self) -> str:
        return repr(self._full if self._full is not None else self._get_plain())


settings: Settings = LazySettings()  # type: ignore[assignment]
