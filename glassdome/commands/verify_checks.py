"""What `glassdome verify` checks a stored credential with: the wizards' own read-only checks.

Each platform's check is the function its step type calls (`check_token`, the
password login, `caller_identity`, `check_principal`, `about_server`,
`list_models`, `mailcow_status`), fed with the endpoint and TLS choice from the
settings (``PROXMOX_*``/``PROXMOX_NN_*``, ``ESXI_*``, ``AZURE_*``, ``AWS_*``,
``OPENAI_*``, ``ANTHROPIC_*``, ``MAIL_*``) and the identity from the secret's
metadata record, so a pinned fingerprint is checked exactly as the wizard checked
it. `plan` does every read of the store and the settings; the `Check` it returns
only talks to the platform, so checks can run side by side in threads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from glassdome.steps.base import StepFailed
from glassdome.steps.tls import tls_from_settings

if TYPE_CHECKING:
    from glassdome.core.config import Settings
    from glassdome.primitives.meta import SecretMeta

__all__ = ["PLATFORMS", "Check", "plan"]

_PROXMOX_NAME = re.compile(r"proxmox_(token_value|password)(?:_(\d{2}))?")
_REVOKED = " (revoked, expired or changed on the platform? run `glassdome setup {wizard}` again)"
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Check:
    """One credential to check: *run* raises `StepFailed` with the reason, or returns.

    *run* is None when there is nothing to check it against (no platform, or one
    glassdome has no check for). *insecure* names the server when TLS checks are off.
    """

    name: str
    platform: str | None
    expires: str | None
    run: Callable[[], None] | None
    insecure: str | None = None


@dataclass(slots=True)
class _Job:
    """What a platform's builder gets: the credential, the settings, where to register tokens.

    The builder sets *insecure* to the server it will talk to with TLS checks off.
    """

    name: str
    meta: SecretMeta
    value: str
    settings: Settings
    register_secret: Callable[[str], None]
    insecure: str | None = None


def _model(model: type[M], **values: Any) -> M:
    """*model* built from settings and records; a bad value is described, never quoted."""
    try:
        return model(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'value'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise StepFailed(f"the settings do not describe a usable endpoint ({problems})") from None


def _host_port(text: str, default: int) -> tuple[str, int]:
    """``host:port`` (or ``host``, or an https URL) as recorded -> host and port."""
    parts = urlsplit(text if "://" in text else f"https://{text}")
    try:
        return parts.hostname or "", parts.port or default
    except ValueError:
        return parts.hostname or "", default


def _endpoint(
    host: str | None, port: int, recorded: str | None, variable: str, wizard: str
) -> tuple[str, int]:
    """The host and port from settings, else as the wizard recorded them, else an error."""
    if not host and recorded:
        host, port = _host_port(recorded, 443)
    if not host:
        raise StepFailed(f"{variable} is not set: run `glassdome setup {wizard}`")
    return host, port


def _failing(exc: StepFailed) -> Callable[[], None]:
    def run() -> None:
        raise exc

    return run


# --- the platforms -------------------------------------------------------------------------


def _proxmox(job: _Job) -> Callable[[], None]:
    from glassdome.steps.proxmox_api import Endpoint, call, login
    from glassdome.steps.proxmox_token import check_token

    name, meta, value, s = job.name, job.meta, job.value, job.settings

    match = _PROXMOX_NAME.fullmatch(name)
    if match is None:
        raise StepFailed(
            "not a name the Proxmox wizard stores (proxmox_token_value[_NN], "
            "proxmox_password[_NN]); nothing says which server it is for"
        )
    kind, suffix = match.group(1), match.group(2) or ""
    instance = s.proxmox_instance(suffix)
    prefix = f"PROXMOX_{suffix}_" if suffix else "PROXMOX_"
    host, port = instance.host, instance.port
    if not host and meta.identity.get("host"):
        host, port = _host_port(meta.identity["host"], port)
    if not host:
        raise StepFailed(f"{prefix}HOST is not set: run `glassdome setup proxmox`")
    tls = tls_from_settings(instance.verify_ssl, instance.ca_file, instance.tls_fingerprint)
    job.insecure = f"{host}:{port}" if tls["tls"] == "insecure" else None
    if kind == "password":
        user = meta.identity.get("user") or instance.user
        endpoint = _model(Endpoint, host=host, port=port, user=user, **tls)

        def login_once() -> None:
            api = login(endpoint, value, None)
            call(endpoint, "read the version", api.version.get)

        return login_once
    token_id = meta.identity.get("token_id") or (
        f"{instance.user}!{instance.token_name}" if instance.token_name else ""
    )
    if "!" not in token_id:
        raise StepFailed(
            f"no token id recorded or set ({prefix}TOKEN_NAME): run `glassdome setup proxmox`"
        )
    user, _, token_name = token_id.rpartition("!")
    endpoint = _model(Endpoint, host=host, port=port, user=user, **tls)
    hint = _REVOKED.format(wizard="proxmox")
    return lambda: _done(check_token(endpoint, token_name, value, if_401=hint))


def _aws(job: _Job) -> Callable[[], None]:
    from glassdome.steps.aws import caller_identity

    meta, value, s = job.meta, job.value, job.settings

    key_id = meta.identity.get("access_key_id") or s.aws_access_key_id
    if not key_id:
        raise StepFailed(
            "no access key id recorded or set (AWS_ACCESS_KEY_ID): run `glassdome setup aws`"
        )
    region = s.aws_region or "us-east-1"
    recorded = meta.identity.get("arn")

    def run() -> None:
        who = caller_identity(key_id, value, region)
        if recorded and who.arn != recorded:
            raise StepFailed(
                f"access key {key_id} now belongs to {who.arn}, not the recorded {recorded}; "
                "run `glassdome setup aws` again"
            )

    return run


def _azure(job: _Job) -> Callable[[], None]:
    from glassdome.steps.azure import VerifyServicePrincipalArgs, check_principal

    meta, value, s = job.meta, job.value, job.settings

    tenant = meta.identity.get("tenant") or s.azure_tenant_id
    client = meta.identity.get("client_id") or s.azure_client_id
    missing = [
        variable
        for variable, known in (
            ("AZURE_TENANT_ID", tenant),
            ("AZURE_CLIENT_ID", client),
            ("AZURE_SUBSCRIPTION_ID", s.azure_subscription_id),
        )
        if not known
    ]
    if missing:
        raise StepFailed(f"{', '.join(missing)} not recorded or set: run `glassdome setup azure`")
    args = _model(
        VerifyServicePrincipalArgs,
        tenant_id=tenant,
        client_id=client,
        client_secret=value,
        subscription_id=s.azure_subscription_id,
        authority_host=s.azure_authority_host,
        arm_endpoint=s.azure_arm_endpoint,
        **tls_from_settings(True, s.azure_ca_file, None),
    )
    return lambda: _done(check_principal(args, job.register_secret))


def _esxi(job: _Job) -> Callable[[], None]:
    from glassdome.steps.esxi import EsxiVerifyArgs, about_server

    meta, value, s = job.meta, job.value, job.settings

    host, port = _endpoint(s.esxi_host, s.esxi_port, meta.identity.get("host"), "ESXI_HOST", "esxi")
    user = meta.identity.get("user") or s.esxi_user
    tls = tls_from_settings(s.esxi_verify_ssl, s.esxi_ca_file, s.esxi_tls_fingerprint)
    job.insecure = f"{host}:{port}" if tls["tls"] == "insecure" else None
    args = _model(EsxiVerifyArgs, host=host, port=port, user=user, password=value, **tls)
    return lambda: _done(about_server(args))


def _ai(job: _Job) -> Callable[[], None]:
    from glassdome.steps.ai import AiKeyArgs, list_models

    meta, value, s = job.meta, job.value, job.settings

    provider = str(meta.platform)
    field = f"{provider}_base_url"
    # The setting when one is set (.env, environment), else the URL the wizard recorded.
    url = getattr(s, field) if field in s.model_fields_set else None
    url = url or meta.identity.get("base_url") or getattr(s, field)
    ca_file = getattr(s, f"{provider}_ca_file")
    args = _model(
        AiKeyArgs,
        provider=provider,
        api_key=value,
        base_url=url,
        **tls_from_settings(True, ca_file, None),
    )
    return lambda: _done(list_models(args))


def _mailcow(job: _Job) -> Callable[[], None]:
    from glassdome.steps.ai import MailcowArgs, mailcow_status

    meta, value, s = job.meta, job.value, job.settings

    host, port = _endpoint(
        s.mail_host, s.mail_port, meta.identity.get("base_url"), "MAIL_HOST", "ai"
    )
    tls = tls_from_settings(s.mail_verify_ssl, s.mail_ca_file, s.mail_tls_fingerprint)
    job.insecure = f"{host}:{port}" if tls["tls"] == "insecure" else None
    args = _model(MailcowArgs, host=host, port=port, api_key=value, name=job.name, **tls)
    return lambda: _done(mailcow_status(args))


def _done(_: object) -> None:
    """A check's answer is not shown: that it came is the result."""


Builder = Callable[["_Job"], Callable[[], None]]
# platform (as the steps record it) -> how its credentials are checked.
PLATFORMS: dict[str, Builder] = {
    "proxmox": _proxmox,
    "aws": _aws,
    "azure": _azure,
    "esxi": _esxi,
    "openai": _ai,
    "anthropic": _ai,
    "mailcow": _mailcow,
}


def plan(
    records: Mapping[str, SecretMeta | None],
    read: Callable[[str], str | None],
    settings: Settings,
    register_secret: Callable[[str], None],
) -> list[Check]:
    """A `Check` for each of *records*; every value is read (with *read*) and registered now.

    Nothing here talks to a platform; a credential whose check cannot even be set
    up (a missing host, a missing key id) gets a check that fails with the reason.
    """
    checks: list[Check] = []
    for name, meta in records.items():
        platform = meta.platform if meta is not None else None
        expires = meta.expires if meta is not None else None
        builder = PLATFORMS.get(platform or "")
        if meta is None or builder is None:
            checks.append(Check(name, platform, expires, None))
            continue
        value = read(name)
        if value is None:
            continue  # deleted since it was listed
        register_secret(value)
        job = _Job(name, meta, value, settings, register_secret)
        try:
            run = builder(job)
        except StepFailed as exc:
            run = _failing(exc)
        checks.append(Check(name, platform, expires, run, job.insecure))
    return checks
