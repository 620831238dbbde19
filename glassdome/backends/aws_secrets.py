"""Secrets in AWS Secrets Manager, through boto3.

Secret NAME is the Secrets Manager secret ``<prefix>/NAME`` (``GLASSDOME_AWS_PREFIX``,
default ``glassdome``) whose ``SecretString`` is the value, so
``aws secretsmanager get-secret-value --secret-id glassdome/NAME`` reads it.
Credentials, region and endpoint come from boto3's own chain (``AWS_PROFILE``,
``AWS_ACCESS_KEY_ID``, ``~/.aws``, SSO, an instance role, ``AWS_ENDPOINT_URL``
...); ``AWS_REGION`` is honoured too.

Deleting schedules the secret for deletion with AWS's recovery window (30 days)
unless ``GLASSDOME_AWS_FORCE_DELETE=1``. A secret scheduled for deletion reads
as absent and is not listed; storing its name again restores it with the new value.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from glassdome.backends.base import Availability, BackendContext, seconds_setting
from glassdome.errors import BackendUnavailable, SecretStoreError
from glassdome.primitives.names import NAME_RULE

__all__ = ["INSTALL_HINT", "AwsSecretsBackend"]

INSTALL_HINT = "pip install 'glassdome[aws]'"
ENV_PREFIX = "GLASSDOME_AWS_PREFIX"
ENV_FORCE_DELETE = "GLASSDOME_AWS_FORCE_DELETE"
ENV_TIMEOUT = "GLASSDOME_AWS_TIMEOUT"
DEFAULT_PREFIX = "glassdome"
DEFAULT_TIMEOUT = 10.0
PAGE_SIZE = 100  # the most ListSecrets returns per request
# From this many names on, set_many learns their state from one paged listing
# instead of one DescribeSecret per name.
_LIST_THRESHOLD = 20

_NAME = re.compile(NAME_RULE)
_PREFIX = re.compile(r"[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*")
_MARKED_DELETED = re.compile(r"marked (for )?delet", re.IGNORECASE)
_AUTH_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
}
_TRUE = {"1", "true", "yes", "on"}

State = Literal["missing", "live", "deleted"]


def _boto3() -> Any:
    try:
        import boto3
    except ImportError:
        raise BackendUnavailable(
            f"the aws backend needs boto3, which is not installed: {INSTALL_HINT}"
        ) from None
    return boto3


_loader: Any = None


def _session(region: str | None) -> Any:
    """A new boto3 session (credentials resolved afresh) sharing one botocore data loader.

    Parsing botocore's service models is most of a client's cost (about 0.3 s); the
    loader caches them, so only the first backend of a process pays it.
    """
    global _loader
    boto3 = _boto3()
    import botocore.loaders
    import botocore.session

    if _loader is None:
        _loader = botocore.loaders.create_loader()
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader)
    return boto3.session.Session(botocore_session=core, region_name=region)


def _error(exc: Any) -> tuple[str, str]:
    """The error code and message of a ClientError.

    An answer in the wrong protocol (an XML error body where JSON was expected, as
    some gateways and emulators send for authentication failures) leaves botocore
    with the HTTP status as the code and the body as the message: read both from it.
    """
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), " ".join(str(error.get("Message", "")).split())
    inner_code = re.search(r"<Code>([^<]+)</Code>", message)
    if inner_code:
        inner_message = re.search(r"<Message>([^<]*)</Message>", message)
        return inner_code.group(1), inner_message.group(1) if inner_message else ""
    return code, message


def _code(exc: Any) -> str:
    return _error(exc)[0]


def _message(exc: Any) -> str:
    return _error(exc)[1]


class AwsSecretsBackend:
    """Secrets in AWS Secrets Manager; see the module docstring for the layout."""

    name = "aws"

    def __init__(
        self,
        *,
        prefix: str = DEFAULT_PREFIX,
        force_delete: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        region: str | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.prefix = prefix
        self.page_size = page_size
        self.force_delete = force_delete
        self.timeout = timeout
        self._region = region
        self._client: Any = None
        self._lock = threading.Lock()
        self._availability: Availability | None = None
        self.request_count = 0  # HTTP requests made (for benchmarks and tests)

    @classmethod
    def from_context(cls, context: BackendContext) -> AwsSecretsBackend:
        """Build from ``GLASSDOME_AWS_*``; boto3 reads the ``AWS_*`` chain itself."""
        env = context.env
        prefix = env.get(ENV_PREFIX, "").strip().strip("/") or DEFAULT_PREFIX
        if not _PREFIX.fullmatch(prefix):
            raise BackendUnavailable(
                f"{ENV_PREFIX}={prefix!r} is not a valid secret name prefix; use letters, "
                "digits, '_+=.@-' and '/' between parts"
            )
        timeout = seconds_setting(env, ENV_TIMEOUT, DEFAULT_TIMEOUT)
        return cls(
            prefix=prefix,
            force_delete=env.get(ENV_FORCE_DELETE, "").strip().lower() in _TRUE,
            timeout=timeout,
            # boto3 itself only reads AWS_DEFAULT_REGION; the other SDKs' AWS_REGION wins here.
            region=env.get("AWS_REGION") or None,
        )

    def __repr__(self) -> str:
        endpoint = self._client.meta.endpoint_url if self._client is not None else "not connected"
        return f"AwsSecretsBackend(prefix={self.prefix!r}, endpoint={endpoint!r})"

    def _full(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    # -- client and errors ---------------------------------------------------

    def _secrets(self) -> Any:
        """The Secrets Manager client, made on first use from boto3's standard chain."""
        with self._lock:
            if self._client is None:
                _boto3()
                from botocore.config import Config

                config = Config(
                    connect_timeout=min(self.timeout, 5.0),
                    read_timeout=self.timeout,
                    retries={"max_attempts": 2, "mode": "standard"},
                )
                with self._guard("connecting"):
                    client = _session(self._region).client("secretsmanager", config=config)

                def count(**kwargs: Any) -> None:
                    self.request_count += 1

                client.meta.events.register("before-send", count)
                self._client = client
            return self._client

    @property
    def _endpoint(self) -> str:
        return str(self._client.meta.endpoint_url) if self._client is not None else "AWS"

    @contextmanager
    def _guard(self, doing: str, values: Iterable[str] = ()) -> Iterator[None]:
        """Turn botocore's failures into one-line glassdome errors that never quote a value."""
        from botocore import exceptions as bx

        try:
            yield
        except SecretStoreError:
            raise
        except bx.NoRegionError:
            raise BackendUnavailable(
                "no AWS region: set AWS_REGION (or a region in your AWS profile)"
            ) from None
        except (bx.NoCredentialsError, bx.PartialCredentialsError, bx.ProfileNotFound) as exc:
            raise BackendUnavailable(
                f"boto3 found no usable AWS credentials ({exc}); set AWS_PROFILE, or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or log in with `aws sso login`"
            ) from None
        except (bx.EndpointConnectionError, bx.ConnectionClosedError) as exc:
            reason = str(getattr(exc, "kwargs", {}).get("error", "")) or type(exc).__name__
            found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", reason)
            raise BackendUnavailable(
                f"cannot reach {self._endpoint}: "
                f"{found.group(1).strip().lower() if found else reason} (while {doing}); check "
                "AWS_ENDPOINT_URL / AWS_REGION and the network"
            ) from None
        except (bx.ConnectTimeoutError, bx.ReadTimeoutError):
            raise BackendUnavailable(
                f"{self._endpoint} did not answer within {self.timeout:g}s while {doing}; "
                f"raise {ENV_TIMEOUT} or check the network"
            ) from None
        except bx.ClientError as exc:
            code, detail = _error(exc)
            for value in values:
                detail = detail.replace(value, "***")
            if code in _AUTH_CODES:
                raise BackendUnavailable(
                    f"AWS rejected the credentials while {doing} ({code}: {detail}); check "
                    "AWS_PROFILE / AWS_ACCESS_KEY_ID, or refresh an expired session"
                ) from None
            if code in {"AccessDeniedException", "AccessDenied"}:
                raise SecretStoreError(
                    f"AWS denied {doing} ({detail}); the IAM policy must allow secretsmanager "
                    f"actions on secrets named {self.prefix}/* (see docs/TEAMS.md)"
                ) from None
            raise SecretStoreError(
                f"AWS Secrets Manager refused {doing} ({code}: {detail})"
            ) from None
        except bx.BotoCoreError as exc:
            raise SecretStoreError(f"boto3 failed while {doing}: {exc}") from None

    def _request(
        self,
        doing: str,
        call: Callable[[Any], Any],
        *,
        ok: Callable[[Any], bool] = lambda exc: False,
        values: Iterable[str] = (),
    ) -> Any:
        """Run one API call; a ClientError for which *ok* is true is returned, not raised."""
        from botocore.exceptions import ClientError

        client = self._secrets()
        with self._guard(doing, values):
            try:
                return call(client)
            except ClientError as exc:
                if ok(exc):
                    return exc
                raise

    # -- availability --------------------------------------------------------

    def availability(self) -> Availability:
        """One read-only ListSecrets request (bounded by the timeout); the answer is kept."""
        if self._availability is None:
            try:
                self._request(
                    "listing secrets",
                    lambda client: client.list_secrets(MaxResults=1, Filters=self._filters()),
                )
            except SecretStoreError as exc:
                self._availability = Availability(False, str(exc))
            else:
                region = self._client.meta.region_name
                self._availability = Availability(
                    True,
                    f"AWS Secrets Manager at {self._endpoint} ({region}), names {self.prefix}/*",
                )
        return self._availability

    def _filters(self) -> list[dict[str, Any]]:
        return [{"Key": "name", "Values": [f"{self.prefix}/"]}]

    # -- the contract --------------------------------------------------------

    def get(self, name: str) -> str | None:
        """The current SecretString; None when absent or scheduled for deletion."""
        found = self._request(
            f"reading {name}",
            lambda client: client.get_secret_value(SecretId=self._full(name)),
            ok=self._gone,
        )
        if isinstance(found, Exception):
            return None
        value = found.get("SecretString")
        if not isinstance(value, str):
            raise SecretStoreError(
                f"{self._full(name)} holds binary data (SecretBinary), not text; glassdome "
                "stores each secret as a SecretString"
            )
        return value

    @staticmethod
    def _gone(exc: Any) -> bool:
        code = _code(exc)
        if code == "ResourceNotFoundException":
            return True
        return code == "InvalidRequestException" and bool(_MARKED_DELETED.search(_message(exc)))

    def _state(self, name: str) -> State:
        found = self._request(
            f"describing {name}",
            lambda client: client.describe_secret(SecretId=self._full(name)),
            ok=lambda exc: _code(exc) == "ResourceNotFoundException",
        )
        if isinstance(found, Exception):
            return "missing"
        return "deleted" if found.get("DeletedDate") else "live"

    def _states(self, names: Iterable[str]) -> dict[str, State]:
        wanted = list(names)
        if len(wanted) < _LIST_THRESHOLD:
            return {name: self._state(name) for name in wanted}
        states: dict[str, State] = dict.fromkeys(wanted, "missing")
        for secret in self._listing(include_deleted=True):
            short = secret["Name"][len(self.prefix) + 1 :]
            if short in states:
                states[short] = "deleted" if secret.get("DeletedDate") else "live"
        return states

    def set(self, name: str, value: str) -> None:
        """DescribeSecret, then CreateSecret, PutSecretValue, or RestoreSecret + PutSecretValue."""
        self._write(name, value, self._state(name))

    def set_many(self, items: Mapping[str, str]) -> None:
        """No batch write exists: one write per name, after learning every name's state.

        The state comes from one DescribeSecret per name, or for 20 names or more
        from one paged ListSecrets (100 names a request) of the whole prefix.
        """
        states = self._states(items)
        for name, value in items.items():
            self._write(name, value, states[name])

    def _write(self, name: str, value: str, state: State) -> None:
        full = self._full(name)
        if state == "deleted":
            self._request(f"restoring {name}", lambda client: client.restore_secret(SecretId=full))
        if state == "missing":
            created = self._request(
                f"creating {name}",
                lambda client: client.create_secret(Name=full, SecretString=value),
                ok=lambda exc: _code(exc) == "ResourceExistsException",
                values=(value,),
            )
            if not isinstance(created, Exception):
                return
            # Another writer created it first: store ours as its new version.
        self._request(
            f"storing {name}",
            lambda client: client.put_secret_value(SecretId=full, SecretString=value),
            values=(value,),
        )

    def delete(self, name: str) -> bool:
        """Schedule deletion (AWS's recovery window) or, when forced, delete at once."""
        options = {"ForceDeleteWithoutRecovery": True} if self.force_delete else {}
        found = self._request(
            f"deleting {name}",
            lambda client: client.delete_secret(SecretId=self._full(name), **options),
            ok=self._gone,
        )
        return not isinstance(found, Exception)

    def _listing(self, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        client = self._secrets()
        pages = client.get_paginator("list_secrets").paginate(
            Filters=self._filters(),
            IncludePlannedDeletion=include_deleted,
            PaginationConfig={"PageSize": self.page_size},
        )
        start = f"{self.prefix}/"
        with self._guard("listing secrets"):
            for page in pages:
                for secret in page.get("SecretList", []):
                    # AWS's name filter is a case-insensitive prefix match: check it exactly.
                    if str(secret.get("Name", "")).startswith(start):
                        yield secret

    def names(self) -> list[str]:
        """Every live name under the prefix, paging through ListSecrets (100 a request)."""
        start = len(self.prefix) + 1
        found = (secret["Name"][start:] for secret in self._listing())
        return sorted(name for name in found if _NAME.fullmatch(name))

    def details(self) -> dict[str, str]:
        """Endpoint, region, name prefix and delete mode (never credentials)."""
        facts = {
            "names": f"{self.prefix}/NAME (SecretString)",
            "delete": "immediate (GLASSDOME_AWS_FORCE_DELETE)"
            if self.force_delete
            else "scheduled, with AWS's recovery window",
        }
        if self._client is not None:
            facts["endpoint"] = self._endpoint
            facts["region"] = str(self._client.meta.region_name)
        return facts
