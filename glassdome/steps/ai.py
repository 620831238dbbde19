"""Step types for the ai wizard: OpenAI and Anthropic API keys, and the Mailcow API key.

Each key is verified with one read-only request (list the models; read the
container status) before it is stored, and stored the moment it is verified.
Platforms quote parts of a rejected key in their error text (OpenAI does), so
every message taken from a platform is scrubbed of the key and its fragments
here, before the engine's own masking ever sees it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from glassdome.primitives.names import normalize_name
from glassdome.steps.base import Plan, StepContext, StepFailed, StepType, step_meta, stored_plan
from glassdome.steps.net import connect_error, network_cause
from glassdome.steps.tls import TlsArgs, colon_hex, requests_session, warn_insecure

if TYPE_CHECKING:
    import requests

__all__ = [
    "PROVIDERS",
    "AiVerifyKey",
    "MailcowVerifyKey",
    "list_models",
    "mailcow_status",
    "mailcow_url",
    "scrub",
]

TIMEOUT = 15.0
_MESSAGE_LIMIT = 240
Provider = Literal["openai", "anthropic"]
# provider -> (label, default base URL as its SDK's *_BASE_URL means it, store name)
PROVIDERS: dict[str, tuple[str, str, str]] = {
    "openai": ("OpenAI", "https://api.openai.com/v1", "openai_api_key"),
    "anthropic": ("Anthropic", "https://api.anthropic.com", "anthropic_api_key"),
}
_ANTHROPIC_VERSION = "2023-06-01"


def scrub(text: str, key: str) -> str:
    """*text* on one line, without *key* or the fragments of it platforms quote.

    OpenAI answers a wrong key with ``Incorrect API key provided: sk-ab***...wxyz``
    (its first 8 and last 4 characters): any word holding the key, such a
    fragment, or a run of ``*`` becomes ``***``.
    """
    pieces = {key} | ({key[:8], key[-4:]} if len(key) >= 12 else set())
    words = []
    for word in " ".join(text.split()).split(" "):
        core = word.strip(".,;:!?'\"()[]{}<>")
        if core and ("**" in core or any(piece in core for piece in pieces)):
            word = word.replace(core, "***")
        words.append(word)
    line = " ".join(words)
    return line if len(line) <= _MESSAGE_LIMIT else line[: _MESSAGE_LIMIT - 3] + "..."


def _platform_message(response: requests.Response) -> str:
    """The platform's own words from an error body: OpenAI, Anthropic or Mailcow shape."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # OpenAI: code + message; Anthropic: type + message
            kind = error.get("code") or error.get("type")
            message = str(error.get("message") or "")
            return f"{kind}: {message}" if kind else message
        if "msg" in body:  # Mailcow: {"type": "error", "msg": "authentication failed"}
            msg = body["msg"]
            return " ".join(map(str, msg)) if isinstance(msg, list) else str(msg)
    return response.reason or ""


def _check_url(url: str) -> tuple[str, int]:
    """Host and port of *url*; plain http only to this machine (a key is never sent in clear)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StepFailed(f"{url}: not an http(s) URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise StepFailed(f"{url}: the port is not a number from 1 to 65535") from None
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if not loopback:
            raise StepFailed(f"{url}: use https (http would send the API key in clear text)")
    return parts.hostname, port


def _request_error(host: str, port: int, exc: Exception, timeout: float) -> StepFailed:
    """One line for a request that got no HTTP answer: name, refusal, TLS, pin, timeout."""
    import requests

    if isinstance(exc, requests.Timeout):
        return StepFailed(f"{host}:{port}: no answer within {timeout:g}s")
    # urllib3 reports a pin mismatch in its own SSLError, which wraps no network error.
    found = re.search(r'Fingerprints did not match.*?got "([0-9a-fA-F]+)"', str(exc))
    if found:
        shown = colon_hex(found.group(1))
        return StepFailed(
            f"{host}:{port}: TLS certificate mismatch: the server's SHA-256 is {shown}, "
            "not the pinned fingerprint (nothing was sent)"
        )
    return connect_error(host, port, network_cause(exc) or exc)


def _get(args: TlsArgs, url: str, headers: dict[str, str], timeout: float) -> requests.Response:
    """GET *url*, the server trusted the way *args* says; connection problems as one line."""
    import requests

    host, port = _check_url(url)
    session = requests_session(args)
    try:
        return session.get(url, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise _request_error(host, port, exc, timeout) from None
    finally:
        session.close()


def _check_key(what: str, key: str) -> None:
    """Refuse a key no HTTP header can carry (never quoting it): a paste gone wrong."""
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise StepFailed(
            f"the {what} holds spaces, line breaks or non-ASCII characters; API keys have "
            "none: paste it again"
        )


def _refused(label: str, url: str, response: requests.Response, key: str) -> StepFailed:
    """One line for an HTTP error: the status and the platform's own words, key scrubbed."""
    said = scrub(_platform_message(response), key)
    status = f"HTTP {response.status_code}" + (f" {said}" if said else "")
    if response.status_code in (401, 403):
        return StepFailed(f"{label} ({url}) refused the key: {status}")
    hint = " (check the base URL)" if response.status_code in (301, 302, 307, 308, 404) else ""
    return StepFailed(f"{label} ({url}): {status}{hint}")


class AiKeyArgs(TlsArgs):
    """An AI platform's API key, where its API lives, and how to trust that server."""

    provider: Provider
    api_key: str = Field(min_length=1, description="the key (masked in all output)")
    base_url: str | None = Field(None, description="default: the platform's public API")
    name: str | None = Field(None, description="store name; default PROVIDER_api_key")
    timeout: float = Field(TIMEOUT, gt=0, le=300)


class AiKeyOutput(BaseModel):
    """What listing the models found (``models`` is None when not verified)."""

    base_url: str = Field(description="the base URL as the platform's SDK takes it")
    models: int | None = None
    model_ids: list[str] = Field(default_factory=list, description="the first few model ids")


def base_url(provider: str, given: str | None) -> str:
    """The base URL as the SDKs' ``OPENAI_BASE_URL``/``ANTHROPIC_BASE_URL`` mean it.

    OpenAI's includes ``/v1`` (a bare ``https://host`` gets it added); Anthropic's does not.
    """
    url = (given or PROVIDERS[provider][1]).strip().rstrip("/")
    if provider == "openai" and urlsplit(url).path == "":
        url += "/v1"
    return url


def list_models(args: AiKeyArgs) -> list[str]:
    """The model ids the platform lists for the key (read-only); `StepFailed` in one line if not."""
    label = PROVIDERS[args.provider][0]
    url = base_url(args.provider, args.base_url)
    if args.provider == "openai":
        models_url = f"{url}/models"
        headers = {"Authorization": f"Bearer {args.api_key}"}
    else:
        models_url = f"{url}/v1/models"
        headers = {"x-api-key": args.api_key, "anthropic-version": _ANTHROPIC_VERSION}
    response = _get(args, models_url, {**headers, "Accept": "application/json"}, args.timeout)
    if response.status_code != 200:
        raise _refused(label, models_url, response, args.api_key)
    try:
        return [str(model["id"]) for model in response.json()["data"]]
    except (ValueError, KeyError, TypeError):
        raise StepFailed(
            f"{models_url}: HTTP 200 but not a model list; is this the {label} API? "
            "(check the base URL)"
        ) from None


class AiVerifyKey(StepType[AiKeyArgs]):
    """Verify an OpenAI or Anthropic API key by listing the models; store it once verified.

    ok when the store already holds this key (it is still verified); a rejected
    key fails with the platform's reason, the key itself scrubbed from it.
    """

    Args = AiKeyArgs
    Output = AiKeyOutput
    secret_args = frozenset({"api_key"})
    summary = "verify an OpenAI/Anthropic API key (list models) and store it"

    def _store_name(self, args: AiKeyArgs) -> str:
        return normalize_name(args.name or PROVIDERS[args.provider][2])

    def check(self, args: AiKeyArgs, ctx: StepContext) -> Plan:
        """List the models with the key (read-only), then compare with the store."""
        label = PROVIDERS[args.provider][0]
        url = base_url(args.provider, args.base_url)
        outputs: dict[str, Any] = {"base_url": url, "models": None, "model_ids": []}
        name = self._store_name(args)
        _check_key(f"{label} API key", args.api_key)
        if not ctx.verify:
            _check_url(url)
            plan = stored_plan(ctx, name, args.api_key, f"{label} key not verified (--no-verify)")
            plan.outputs = outputs
            return plan
        warn_insecure(args, ctx, url)
        ids = list_models(args)
        outputs.update(models=len(ids), model_ids=ids[:5])
        found = f"{label} key works ({len(ids)} models{': ' + ', '.join(ids[:3]) if ids else ''})"
        plan = stored_plan(ctx, name, args.api_key, found)
        plan.outputs = outputs
        return plan

    def apply(self, args: AiKeyArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Store the verified key."""
        meta = step_meta(args.provider, base_url=base_url(args.provider, args.base_url))
        ctx.store(self._store_name(args), args.api_key, meta)
        return dict(plan.outputs)


class MailcowArgs(TlsArgs):
    """A Mailcow server and its API key (System > Configuration > Access > API)."""

    host: str = Field(min_length=1, description="the Mailcow host name (no scheme)")
    port: int = Field(443, ge=1, le=65535)
    api_key: str = Field(min_length=1, description="the API key (masked in all output)")
    name: str = Field("mail_api", description="store name")
    timeout: float = Field(TIMEOUT, gt=0, le=300)


class MailcowOutput(BaseModel):
    """What the container status showed (None when not verified)."""

    url: str
    containers: int | None = None
    running: int | None = None


def mailcow_url(args: MailcowArgs) -> str:
    """The container status URL the key is checked against."""
    where = args.host if args.port == 443 else f"{args.host}:{args.port}"
    return f"https://{where}/api/v1/get/status/containers"


def mailcow_status(args: MailcowArgs) -> tuple[int, int]:
    """Read the container status with the key (read-only): how many containers, how many run."""
    url = mailcow_url(args)
    headers = {"X-API-Key": args.api_key, "Accept": "application/json"}
    response = _get(args, url, headers, args.timeout)
    if response.status_code != 200:
        raise _refused("Mailcow", url, response, args.api_key)
    try:
        states = [str(item.get("state", "")) for item in response.json().values()]
    except (ValueError, AttributeError):
        # Mailcow answers a request that opened no API session with an empty 200.
        raise StepFailed(
            f"{url}: HTTP 200 but no container status; is this a Mailcow server, "
            "and is the key an active API key?"
        ) from None
    return len(states), states.count("running")


class MailcowVerifyKey(StepType[MailcowArgs]):
    """Verify a Mailcow API key against ``/api/v1/get/status/containers``; store it once verified.

    Mailcow answers a wrong key with 401 ``authentication failed`` and a key used
    from an address its allow-list lacks with 401 ``api access denied for ip ...``.
    """

    Args = MailcowArgs
    Output = MailcowOutput
    secret_args = frozenset({"api_key"})
    summary = "verify a Mailcow API key (container status) and store it"

    def check(self, args: MailcowArgs, ctx: StepContext) -> Plan:
        """Read the container status with the key (read-only), then compare with the store."""
        where = args.host if args.port == 443 else f"{args.host}:{args.port}"
        url = mailcow_url(args)
        name = normalize_name(args.name)
        _check_key("Mailcow API key", args.api_key)
        if not ctx.verify:
            _check_url(url)
            plan = stored_plan(ctx, name, args.api_key, "Mailcow key not verified (--no-verify)")
            plan.outputs = {"url": url}
            return plan
        warn_insecure(args, ctx, where)
        containers, running = mailcow_status(args)
        found = f"Mailcow key works ({running} of {containers} containers running)"
        plan = stored_plan(ctx, name, args.api_key, found)
        plan.outputs = {"url": url, "containers": containers, "running": running}
        return plan

    def apply(self, args: MailcowArgs, ctx: StepContext, plan: Plan) -> dict[str, Any]:
        """Store the verified key."""
        where = args.host if args.port == 443 else f"{args.host}:{args.port}"
        meta = step_meta("mailcow", base_url=f"https://{where}")
        ctx.store(normalize_name(args.name), args.api_key, meta)
        return dict(plan.outputs)
