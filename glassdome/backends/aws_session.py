"""A boto3 Secrets Manager client for the aws backend, and its failures as glassdome errors.

`AwsSession` makes the client on first use from boto3's own credential chain,
with bounded timeouts and retries, counts its HTTP requests, and runs each call
so that botocore's failures become one-line `BackendUnavailable` or
`SecretStoreError` messages that say what to do next and never quote a value.
boto3 is imported only when a session first needs it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from glassdome.errors import BackendUnavailable, SecretStoreError

__all__ = ["ENV_TIMEOUT", "INSTALL_HINT", "AwsSession", "error_code", "error_message"]

INSTALL_HINT = "pip install 'glassdome[aws]'"
ENV_TIMEOUT = "GLASSDOME_AWS_TIMEOUT"
_AUTH_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
}


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


def error_code(exc: Any) -> str:
    """The AWS error code of a ClientError (e.g. ``ResourceNotFoundException``)."""
    return _error(exc)[0]


def error_message(exc: Any) -> str:
    """The AWS error message of a ClientError, on one line."""
    return _error(exc)[1]


class AwsSession:
    """One Secrets Manager client: made on first use, shared by threads, failures translated.

    *prefix* only names the secrets in an access-denied message.
    """

    def __init__(self, *, timeout: float, region: str | None, prefix: str) -> None:
        self.timeout = timeout
        self.prefix = prefix
        self._region = region
        self.client: Any = None  # the boto3 client, once the first request needs it
        self._lock = threading.Lock()
        self.request_count = 0  # HTTP requests made (for benchmarks and tests)

    def __repr__(self) -> str:
        return f"AwsSession(endpoint={self.endpoint!r})"

    @property
    def endpoint(self) -> str:
        """The endpoint URL once connected, else ``AWS``."""
        return str(self.client.meta.endpoint_url) if self.client is not None else "AWS"

    def connect(self) -> Any:
        """The Secrets Manager client, made on first use from boto3's standard chain."""
        with self._lock:
            if self.client is None:
                _boto3()
                from botocore.config import Config

                config = Config(
                    connect_timeout=min(self.timeout, 5.0),
                    read_timeout=self.timeout,
                    retries={"max_attempts": 2, "mode": "standard"},
                )
                with self.guard("connecting"):
                    client = _session(self._region).client("secretsmanager", config=config)

                def count(**kwargs: Any) -> None:
                    self.request_count += 1

                client.meta.events.register("before-send", count)
                self.client = client
            return self.client

    def request(
        self,
        doing: str,
        call: Callable[[Any], Any],
        *,
        ok: Callable[[Any], bool] = lambda exc: False,
        values: Iterable[str] = (),
    ) -> Any:
        """Run one API call; a ClientError for which *ok* is true is returned, not raised."""
        from botocore.exceptions import ClientError

        client = self.connect()
        with self.guard(doing, values):
            try:
                return call(client)
            except ClientError as exc:
                if ok(exc):
                    return exc
                raise

    @contextmanager
    def guard(self, doing: str, values: Iterable[str] = ()) -> Iterator[None]:
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
                f"cannot reach {self.endpoint}: "
                f"{found.group(1).strip().lower() if found else reason} (while {doing}); check "
                "AWS_ENDPOINT_URL / AWS_REGION and the network"
            ) from None
        except (bx.ConnectTimeoutError, bx.ReadTimeoutError):
            raise BackendUnavailable(
                f"{self.endpoint} did not answer within {self.timeout:g}s while {doing}; "
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
