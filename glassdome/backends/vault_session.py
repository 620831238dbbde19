"""A logged-in hvac client for the vault backend, and its failures as glassdome errors.

`VaultSession` builds the client on first use, logs in with a token or AppRole,
and runs each request so that transport and server failures become one-line
`BackendUnavailable` or `SecretStoreError` messages saying what to do next. An
expired or revoked token is replaced once by a new AppRole login, or reported;
requests never loop. hvac (and requests, which it brings) are imported only
when a session first needs them, so importing the backend stays cheap.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from glassdome.backends.vault_config import (
    ENV_ADDR,
    ENV_CACERT,
    ENV_ROLE_ID,
    ENV_SECRET_ID,
    ENV_TIMEOUT,
    ENV_TOKEN,
    VaultConfig,
)
from glassdome.errors import BackendUnavailable, SecretStoreError

__all__ = ["INSTALL_HINT", "VaultSession"]

INSTALL_HINT = "pip install 'glassdome[vault]'"

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_T = TypeVar("_T")


class _CasMismatch(Exception):
    """The version a write was conditioned on is no longer the current one."""


class _Denied(SecretStoreError):
    """A valid token whose policies do not allow the request."""


def _hvac() -> Any:
    try:
        import hvac
    except ImportError:
        raise BackendUnavailable(
            f"the vault backend needs hvac, which is not installed: {INSTALL_HINT}"
        ) from None
    return hvac


def _short_reason(exc: BaseException) -> str:
    """'connection refused' out of requests' long, nested connection error text."""
    found = _ERRNO.search(str(exc))
    if found:
        return found.group(1).strip().rstrip(".").lower()
    return type(exc).__name__


def _errors(exc: Any) -> str:
    errors = getattr(exc, "errors", None) or []
    text = "; ".join(" ".join(str(e).split()) for e in errors) if errors else ""
    return text or type(exc).__name__


class VaultSession:
    """One hvac client for *config*: created and logged in on first use, shared by threads.

    Requests go through `call`, which logs in again once when an AppRole token
    has expired or been revoked, and otherwise turns every failure into a
    glassdome error. A check-and-set write that lost the race raises
    `_CasMismatch`; a valid token that may not do something raises `_Denied`.
    """

    def __init__(self, config: VaultConfig) -> None:
        self.config = config
        self.client: Any = None  # the hvac client, once the first request needs it
        self._logged_in = False
        self._lock = threading.RLock()
        self.request_count = 0  # HTTP requests made (for benchmarks and tests)

    def connect(self) -> Any:
        """Return a logged-in client, logging in on first use."""
        with self._lock:
            if self.client is None:
                self.client = self._new_client()
            if not self._logged_in:
                self._guard("logging in", self._login)
                self._logged_in = True
            return self.client

    def call(
        self, doing: str, where: str, request: Callable[[Any], _T], values: Iterable[str] = ()
    ) -> _T:
        """Run *request* with the logged-in client; on a rejected token log in again, once.

        *doing* and *where* name the request in messages; any of *values* that a
        server message repeats is masked before it reaches ours.
        """
        hvac = _hvac()
        client = self.connect()
        try:
            return self._guard(doing, lambda: request(client), values)
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            pass
        with self._lock:
            if self._guard("checking the token", self._token_valid):
                raise self._denied(doing, where)
            if not self.config.approle:
                raise self._token_rejected()
            self._logged_in = False  # the AppRole token expired or was revoked: log in again
        client = self.connect()
        try:
            return self._guard(doing, lambda: request(client), values)
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            raise self._denied(doing, where) from None

    def _new_client(self) -> Any:
        hvac = _hvac()
        c = self.config
        cert = (c.client_cert, c.client_key) if c.client_cert and c.client_key else None
        client = hvac.Client(
            url=c.addr,
            token="",  # never None: hvac would read VAULT_TOKEN from os.environ itself
            verify=c.cacert or True,
            cert=cert,
            timeout=c.timeout,
            namespace=c.namespace or None,
        )

        def count(response: Any, *args: Any, **kwargs: Any) -> Any:
            self.request_count += 1
            return response

        client.adapter.session.hooks["response"].append(count)
        return client

    def _login(self) -> None:
        hvac = _hvac()
        c = self.config
        client = self.client
        if c.approle:
            try:
                client.auth.approle.login(
                    c.role_id, c.secret_id, mount_point=c.approle_mount, use_token=True
                )
            except (hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden) as exc:
                raise BackendUnavailable(
                    f"AppRole login at {c.addr} (auth/{c.approle_mount}) failed: {_errors(exc)}; "
                    f"check {ENV_ROLE_ID} and {ENV_SECRET_ID} (a secret ID may have expired "
                    "or used up its uses)"
                ) from None
            return
        client.token = c.token
        try:
            client.auth.token.lookup_self()
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            raise self._token_rejected() from None

    def _token_rejected(self) -> BackendUnavailable:
        c = self.config
        return BackendUnavailable(
            f"{c.addr} rejected the token from {c.token_origin}: it has expired, was revoked "
            f"or is mistyped; get a new one (`bao login`) and set {ENV_TOKEN}"
        )

    def _token_valid(self) -> bool:
        hvac = _hvac()
        try:
            self.client.auth.token.lookup_self()
        except (hvac.exceptions.Forbidden, hvac.exceptions.Unauthorized):
            return False
        return True

    def _guard(self, doing: str, action: Callable[[], _T], values: Iterable[str] = ()) -> _T:
        """Run one request; turn transport and server failures into one-line glassdome errors."""
        import requests

        hvac = _hvac()
        c = self.config
        try:
            return action()
        except SecretStoreError:
            raise
        except requests.exceptions.SSLError as exc:
            raise BackendUnavailable(
                f"TLS verification of {c.addr} failed while {doing} ({_short_reason(exc)}); "
                f"set {ENV_CACERT} to the CA certificate that signed the server's certificate"
            ) from None
        except requests.exceptions.Timeout:
            raise BackendUnavailable(
                f"{c.addr} did not answer within {c.timeout:g}s while {doing}; check "
                f"{ENV_ADDR}, or raise {ENV_TIMEOUT}"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise BackendUnavailable(
                f"cannot reach {c.addr}: {_short_reason(exc)} (while {doing}); check {ENV_ADDR} "
                "and that the server is running"
            ) from None
        except (hvac.exceptions.VaultDown, hvac.exceptions.VaultNotInitialized) as exc:
            raise BackendUnavailable(
                f"{c.addr} is sealed, uninitialized or in standby ({_errors(exc)}) while "
                f"{doing}; unseal it or point {ENV_ADDR} at the active node"
            ) from None
        except hvac.exceptions.VaultError as exc:
            if isinstance(exc, hvac.exceptions.InvalidRequest) and "check-and-set" in _errors(exc):
                raise _CasMismatch from None
            if isinstance(exc, hvac.exceptions.Forbidden | hvac.exceptions.Unauthorized):
                raise
            detail = _errors(exc)
            for value in values:  # a server message must never carry a value into ours
                detail = detail.replace(value, "***")
            raise SecretStoreError(
                f"{c.addr} refused {doing} ({type(exc).__name__}: {detail})"
            ) from None

    def _denied(self, doing: str, where: str) -> _Denied:
        c = self.config
        return _Denied(
            f"{c.addr} denied {doing} on {where}: the token's policies do not allow it; "
            f"they need create/read/update on {c.mount}/data/{c.prefix}/* and read/list/update/"
            f"delete on {c.mount}/metadata/{c.prefix}/* (see docs/TEAMS.md)"
        )
