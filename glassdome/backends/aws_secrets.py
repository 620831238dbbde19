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

A secret's metadata record (`SecretMeta`, never a value) is kept in its tags
``glassdome:*``; `glassdome.backends.aws_tags` says how.

The client, its timeouts and the translation of botocore's failures are
`glassdome.backends.aws_session`'s; this module maps the contract onto the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from glassdome.backends.aws_session import (
    ENV_TIMEOUT,
    INSTALL_HINT,
    AwsSession,
    error_code,
    error_message,
)
from glassdome.backends.base import Availability, BackendContext, seconds_setting
from glassdome.errors import BackendUnavailable, SecretStoreError
from glassdome.primitives.flags import env_flag
from glassdome.primitives.names import NAME_RULE

if TYPE_CHECKING:
    from glassdome.primitives.meta import SecretMeta

__all__ = ["INSTALL_HINT", "AwsSecretsBackend"]

ENV_PREFIX = "GLASSDOME_AWS_PREFIX"
ENV_FORCE_DELETE = "GLASSDOME_AWS_FORCE_DELETE"
DEFAULT_PREFIX = "glassdome"
DEFAULT_TIMEOUT = 10.0
PAGE_SIZE = 100  # the most ListSecrets returns per request
# From this many names on, set_many learns their state from one paged listing
# instead of one DescribeSecret per name.
_LIST_THRESHOLD = 20

_NAME = re.compile(NAME_RULE)
_PREFIX = re.compile(r"[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*")
_MARKED_DELETED = re.compile(r"marked (for )?delet", re.IGNORECASE)

State = Literal["missing", "live", "deleted"]
Described = tuple[State, dict[str, str]]  # a secret's state and its tags


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
        self._session = AwsSession(timeout=timeout, region=region, prefix=prefix)
        self._availability: Availability | None = None

    @property
    def request_count(self) -> int:
        """HTTP requests made so far (for benchmarks and tests)."""
        return self._session.request_count

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
            force_delete=env_flag(env, ENV_FORCE_DELETE),
            timeout=timeout,
            # boto3 itself only reads AWS_DEFAULT_REGION; the other SDKs' AWS_REGION wins here.
            region=env.get("AWS_REGION") or None,
        )

    def __repr__(self) -> str:
        client = self._session.client
        endpoint = client.meta.endpoint_url if client is not None else "not connected"
        return f"AwsSecretsBackend(prefix={self.prefix!r}, endpoint={endpoint!r})"

    def _full(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    # -- availability --------------------------------------------------------

    def availability(self) -> Availability:
        """One read-only ListSecrets request (bounded by the timeout); the answer is kept."""
        if self._availability is None:
            try:
                self._session.request(
                    "listing secrets",
                    lambda client: client.list_secrets(MaxResults=1, Filters=self._filters()),
                )
            except SecretStoreError as exc:
                self._availability = Availability(False, str(exc))
            else:
                region = self._session.client.meta.region_name
                self._availability = Availability(
                    True,
                    f"AWS Secrets Manager at {self._session.endpoint} ({region}), "
                    f"names {self.prefix}/*",
                )
        return self._availability

    def _filters(self) -> list[dict[str, Any]]:
        return [{"Key": "name", "Values": [f"{self.prefix}/"]}]

    # -- the contract --------------------------------------------------------

    def get(self, name: str) -> str | None:
        """The current SecretString; None when absent or scheduled for deletion."""
        found = self._session.request(
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
        code = error_code(exc)
        if code == "ResourceNotFoundException":
            return True
        return code == "InvalidRequestException" and bool(
            _MARKED_DELETED.search(error_message(exc))
        )

    def _state(self, name: str) -> State:
        return self._describe(name)[0]

    def _describe(self, name: str) -> Described:
        from glassdome.backends.aws_tags import tags_of

        found = self._session.request(
            f"describing {name}",
            lambda client: client.describe_secret(SecretId=self._full(name)),
            ok=lambda exc: error_code(exc) == "ResourceNotFoundException",
        )
        if isinstance(found, Exception):
            return "missing", {}
        return ("deleted" if found.get("DeletedDate") else "live"), tags_of(found)

    def _states(self, names: Iterable[str]) -> dict[str, Described]:
        from glassdome.backends.aws_tags import tags_of

        wanted = list(names)
        if len(wanted) < _LIST_THRESHOLD:
            return {name: self._describe(name) for name in wanted}
        states: dict[str, Described] = {name: ("missing", {}) for name in wanted}
        for secret in self._listing(include_deleted=True):
            short = secret["Name"][len(self.prefix) + 1 :]
            if short in states:
                state: State = "deleted" if secret.get("DeletedDate") else "live"
                states[short] = state, tags_of(secret)
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
            self._write(name, value, states[name][0])

    def _write(
        self, name: str, value: str, state: State, tags: Mapping[str, str] | None = None
    ) -> bool:
        """Store *value*; a new secret is created with *tags*. Return whether it was created."""
        from glassdome.backends.aws_tags import as_tag_list

        full = self._full(name)
        with_tags = {"Tags": as_tag_list(tags)} if tags else {}
        if state == "deleted":
            self._session.request(
                f"restoring {name}", lambda client: client.restore_secret(SecretId=full)
            )
        if state == "missing":
            created = self._session.request(
                f"creating {name}",
                lambda client: client.create_secret(Name=full, SecretString=value, **with_tags),
                ok=lambda exc: error_code(exc) == "ResourceExistsException",
                values=(value,),
            )
            if not isinstance(created, Exception):
                return True
            # Another writer created it first: store ours as its new version.
        self._session.request(
            f"storing {name}",
            lambda client: client.put_secret_value(SecretId=full, SecretString=value),
            values=(value,),
        )
        return False

    def delete(self, name: str) -> bool:
        """Schedule deletion (AWS's recovery window) or, when forced, delete at once."""
        options = {"ForceDeleteWithoutRecovery": True} if self.force_delete else {}
        found = self._session.request(
            f"deleting {name}",
            lambda client: client.delete_secret(SecretId=self._full(name), **options),
            ok=self._gone,
        )
        return not isinstance(found, Exception)

    def _listing(self, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        client = self._session.connect()
        pages = client.get_paginator("list_secrets").paginate(
            Filters=self._filters(),
            IncludePlannedDeletion=include_deleted,
            PaginationConfig={"PageSize": self.page_size},
        )
        start = f"{self.prefix}/"
        with self._session.guard("listing secrets"):
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

    # -- metadata (SupportsMetadata) -------------------------------------------

    def set_with_meta(self, items: Mapping[str, str], meta: Mapping[str, SecretMeta]) -> None:
        """Write the values as `set_many` does, then each record as the secret's tags.

        Every record is checked against AWS's tag limits before anything is written.
        A new secret is created with its tags; an existing one costs an UntagResource
        (fields no longer set) and a TagResource (fields changed), each only if needed.
        A record for a name that is not stored is not written.
        """
        from glassdome.backends.aws_tags import encode_record, retag

        known = self._states([*items, *(name for name in meta if name not in items)])
        flat = {name: encode_record(meta[name], name, known[name][1]) for name in meta}
        for name, value in items.items():
            state, tags = known[name]
            if self._write(name, value, state, flat.get(name) if state == "missing" else None):
                flat.pop(name, None)  # created with its tags
            elif state == "missing":
                known[name] = self._describe(name)  # another writer created it first
            else:
                known[name] = "live", tags
        for name, record in flat.items():
            state, tags = known[name]
            if state == "live":
                retag(self._session, self._full(name), name, tags, record)

    def get_meta(self, name: str) -> SecretMeta | None:
        """The record in *name*'s tags (one DescribeSecret); None if absent or scheduled."""
        from glassdome.backends.aws_tags import record_in

        state, tags = self._describe(name)
        return record_in(tags, self._full(name)) if state == "live" else None

    def all_meta(self) -> dict[str, SecretMeta]:
        """Every live secret's record, from the tags ListSecrets returns (ceil(N/100) requests)."""
        from glassdome.backends.aws_tags import record_in, tags_of

        start = len(self.prefix) + 1
        found: dict[str, SecretMeta] = {}
        for secret in self._listing():
            name = str(secret["Name"])[start:]
            record = record_in(tags_of(secret), secret["Name"]) if _NAME.fullmatch(name) else None
            if record is not None:
                found[name] = record
        return found

    def details(self) -> dict[str, str]:
        """Endpoint, region, name prefix and delete mode (never credentials)."""
        facts = {
            "names": f"{self.prefix}/NAME (SecretString)",
            "delete": "immediate (GLASSDOME_AWS_FORCE_DELETE)"
            if self.force_delete
            else "scheduled, with AWS's recovery window",
        }
        if self._session.client is not None:
            facts["endpoint"] = self._session.endpoint
            facts["region"] = str(self._session.client.meta.region_name)
        return facts
