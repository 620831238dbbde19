"""Metadata records in KV v2's ``custom_metadata``, for `glassdome.backends.vault`.

A secret's record (`SecretMeta`, never a value) is kept in the ``custom_metadata``
of the secret's own metadata, ``<mount>/metadata/<prefix>/NAME``, as the flat
strings of `SecretMeta.as_strings` escaped as `glassdome.backends.meta_strings`
describes, so ``bao kv metadata get -mount=secret glassdome/NAME`` shows it.
Keys other tools put there are kept. KV v2 allows at most 64 keys, keys of 1-128
bytes and values of 1-512 printable bytes; a record that does not fit is
`MetadataTooLong` naming the field. Deleting the secret (metadata and every
version) deletes the record with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glassdome.backends.meta_strings import VAULT_METADATA, MetadataTooLong
from glassdome.backends.vault_session import _hvac

if TYPE_CHECKING:
    from glassdome.backends.vault_config import VaultConfig
    from glassdome.backends.vault_session import VaultSession
    from glassdome.primitives.meta import SecretMeta

__all__ = ["is_live", "read_metadata", "record_in", "write_record"]


def read_metadata(session: VaultSession, config: VaultConfig, name: str) -> dict[str, Any] | None:
    """The KV v2 metadata of *name* (one request), or None when nothing is stored there."""
    hvac = _hvac()
    path = config.path(name)

    def metadata(client: Any) -> Any:
        try:
            return client.secrets.kv.v2.read_secret_metadata(path=path, mount_point=config.mount)
        except hvac.exceptions.InvalidPath:
            return None

    found = session.call(
        f"reading the metadata of {name}", f"{config.mount}/metadata/{path}", metadata
    )
    return None if found is None else dict(found.get("data") or {})


def is_live(metadata: dict[str, Any]) -> bool:
    """Whether a latest version exists and is readable (not deleted or destroyed by others)."""
    current = int(metadata.get("current_version", 0))
    latest = (metadata.get("versions") or {}).get(str(current)) or {}
    return current > 0 and not latest.get("deletion_time") and not latest.get("destroyed")


def record_in(metadata: dict[str, Any] | None, config: VaultConfig, name: str) -> SecretMeta | None:
    """The record kept in *metadata* (from `read_metadata`), or None."""
    if metadata is None or not is_live(metadata):
        return None
    custom = metadata.get("custom_metadata") or {}
    return VAULT_METADATA.decode(custom, f"{config.mount}/{config.path(name)}")


def write_record(
    session: VaultSession, config: VaultConfig, name: str, flat: dict[str, str]
) -> None:
    """Put *flat* (encoded by `VAULT_METADATA`) in *name*'s custom_metadata, others' keys kept.

    One metadata read, and one write unless the record is already there; nothing
    is written for a name with no readable secret (it would create an empty one).
    """
    metadata = read_metadata(session, config, name)
    if metadata is None or not is_live(metadata):
        return
    custom = dict(metadata.get("custom_metadata") or {})
    others = {k: v for k, v in custom.items() if not VAULT_METADATA.owns(k)}
    if len(others) + len(flat) > VAULT_METADATA.max_entries:
        raise MetadataTooLong(
            f"{config.mount}/metadata/{config.path(name)} holds {len(others)} custom_metadata "
            f"keys of other tools; with glassdome's {len(flat)} that is more than KV v2's "
            f"{VAULT_METADATA.max_entries}; remove some of them"
        )
    if {k: v for k, v in custom.items() if VAULT_METADATA.owns(k)} == flat:
        return
    path = config.path(name)
    # hvac sends delete_version_after="0s" unless told otherwise: send the secret's own.
    keep_after = str(metadata.get("delete_version_after") or "0s")
    session.call(
        f"storing the metadata of {name}",
        f"{config.mount}/metadata/{path}",
        lambda client: client.secrets.kv.v2.update_metadata(
            path=path,
            mount_point=config.mount,
            custom_metadata={**others, **flat},
            delete_version_after=keep_after,
        ),
    )
