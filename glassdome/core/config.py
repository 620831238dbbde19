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

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

from pydantic import Field, PrivateAttr, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from glassdome.core.ref_sources import filled_by_references
from glassdome.core.settings_sources import (
    WITH_STORE,
    SecretStoreSettingsSource,
    get_secrets_manager,
    sources,
    variable_names,
)
from glassdome.primitives.envfile import ENV_FILE_VARIABLE, env_file_path
from glassdome.primitives.names import KNOWN_SECRETS, is_secret_variable

__all__ = [
    "ENV_FILE_VARIABLE",
    "SECRET_FIELDS",
    "LazySettings",
    "ProxmoxInstance",
    "SecretStoreSettingsSource",
    "Settings",
    "env_file_path",
    "get_settings",
    "settings",
]


SECRET_FIELDS = KNOWN_SECRETS
_INSTANCE_TOKEN = re.compile(r"proxmox_token_value_(\d{2})", re.IGNORECASE)
_INSTANCE_KEY = re.compile(r"PROXMOX_(\d{2})_([A-Z_]+)", re.IGNORECASE)


class _StoreSettings(BaseSettings):
    """Settings read from the constructor, the environment, the store and ``.env``."""

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
        return sources(settings_cls, init_settings, env_settings)

    # The fields a ``glassdome:NAME`` reference filled: their values come from the store.
    _from_store: frozenset[str] = PrivateAttr(default=frozenset())

    def __init__(self, **values: Any) -> None:
        with filled_by_references() as filled:
            super().__init__(**values)
        self._from_store = frozenset(filled)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """Every field, a value read through a reference masked as a `SecretStr` is."""
        for name, value in super().__repr_args__():
            masked = name in self._from_store and value is not None
            yield name, SecretStr(str(value)) if masked else value


class Settings(_StoreSettings):
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
    azure_graph_endpoint: str = "https://graph.microsoft.com"
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
        for key in variable_names(Settings):
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
                from_store=frozenset(
                    name.removeprefix("proxmox_")
                    for name in self._from_store
                    if name.startswith("proxmox_")
                ),
            )
        if not re.fullmatch(r"\d{2}", suffix):
            raise ValueError(
                f"a Proxmox instance suffix is two digits such as '02', not {suffix!r}"
            )
        numbered = _instance_settings(suffix)()
        return ProxmoxInstance(
            suffix=suffix, **numbered.model_dump(), from_store=numbered._from_store
        )


class _InstanceSettings(_StoreSettings):
    """A numbered Proxmox instance's settings; `_instance_settings` sets the number."""

    model_config = SettingsConfigDict(
        extra="ignore", case_sensitive=False, hide_input_in_errors=True, env_ignore_empty=True
    )

    host: str | None = None
    port: int = 8006
    user: str = "root@pam"
    token_name: str | None = None
    token_value: SecretStr | None = None
    node: str | None = None
    verify_ssl: bool = True
    ca_file: str | None = None
    tls_fingerprint: str | None = None


@cache
def _instance_settings(suffix: str) -> type[_InstanceSettings]:
    """Instance *suffix*'s settings: ``PROXMOX_<suffix>_*``, ``proxmox_token_value_<suffix>``."""

    class Numbered(_InstanceSettings):
        model_config = SettingsConfigDict(env_prefix=f"PROXMOX_{suffix}_")
        token_value: SecretStr | None = Field(
            default=None, validation_alias=f"proxmox_token_value_{suffix}"
        )

    Numbered.__name__ = Numbered.__qualname__ = f"ProxmoxInstance{suffix}Settings"
    return Numbered


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
    # The fields a ``glassdome:NAME`` reference filled: masked in the repr.
    from_store: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def __repr__(self) -> str:
        args = []
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in self.from_store and value is not None:
                value = SecretStr(str(value))
            if item.repr:
                args.append(f"{item.name}={value!r}")
        return f"ProxmoxInstance({', '.join(args)})"


class LazySettings:
    """Module-level `settings`: a `Settings` built on first use; only secret fields open the store.

    ``settings.NAME`` is what ``Settings().NAME`` would be. A plain field is read from
    a copy built without the store; a secret field, or ``proxmox_instance*``, from
    the full one. Attribute reads are typed `Any` here; `get_settings()` (or `full`)
    is the typed way in, and it opens the store.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plain: Settings | None = None
        self._full: Settings | None = None

    def _get_plain(self) -> Settings:
        with self._lock:
            if self._plain is None:
                token = WITH_STORE.set(False)
                try:
                    self._plain = Settings()
                finally:
                    WITH_STORE.reset(token)
            return self._plain

    def full(self) -> Settings:
        """Every field, the secret ones from the store too (built once, until `reload`)."""
        with self._lock:
            if self._full is None:
                self._full = Settings()
            return self._full

    def __getattr__(self, name: str) -> Any:
        if is_secret_variable(name) or name.startswith("proxmox_instance"):
            return getattr(self.full(), name)
        return getattr(self._get_plain(), name)

    def reload(self) -> None:
        """Forget the values read so far (after the environment or ``.env`` changed)."""
        with self._lock:
            self._plain = self._full = None

    def __repr__(self) -> str:
        return repr(self._full if self._full is not None else self._get_plain())


settings: LazySettings = LazySettings()


def get_settings() -> Settings:
    """The process-wide `Settings`, typed, with every field read (the secret ones too).

    The values `settings` gives; building it opens the secret store unless the
    environment provides every secret field. ``settings.NAME`` reads a plain value
    without opening the store.
    """
    return settings.full()
