"""Metadata records as secret tags, for `glassdome.backends.aws_secrets`.

A secret's record (`SecretMeta`, never a value) is kept in its tags, one tag per
field of `SecretMeta.as_strings`, keyed ``glassdome:<field>`` (``glassdome:v``,
``glassdome:created``, ``glassdome:identity.token_id``) with the value escaped as
`glassdome.backends.meta_strings` describes (AWS tags allow only letters, digits,
spaces and ``_ . : / = + - @``, 256 characters a value, 50 tags a secret). Tags
of other tools are left alone. Writing is TagResource for what changed and
UntagResource for fields no longer set; reading is DescribeSecret (one secret)
or ListSecrets (every secret, with its tags).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from glassdome.backends.meta_strings import AWS_TAGS

if TYPE_CHECKING:
    from glassdome.backends.aws_session import AwsSession
    from glassdome.primitives.meta import SecretMeta

__all__ = ["as_tag_list", "encode_record", "record_in", "retag", "tags_of"]


def tags_of(described: Mapping[str, Any]) -> dict[str, str]:
    """The tags of a DescribeSecret answer or a ListSecrets entry, as a dict."""
    return {
        str(tag.get("Key")): str(tag.get("Value", ""))
        for tag in described.get("Tags") or []
        if tag.get("Key")
    }


def as_tag_list(flat: Mapping[str, str]) -> list[dict[str, str]]:
    """*flat* in the API's ``[{"Key": ..., "Value": ...}]`` shape."""
    return [{"Key": key, "Value": value} for key, value in flat.items()]


def encode_record(meta: SecretMeta, name: str, current: Mapping[str, str]) -> dict[str, str]:
    """*meta* as tags beside the other tools' tags in *current*; `MetadataTooLong` if it cannot."""
    others = sum(1 for key in current if not AWS_TAGS.owns(key))
    return AWS_TAGS.encode(meta, name, others=others)


def record_in(tags: Mapping[str, str], where: str) -> SecretMeta | None:
    """The record among *tags*, or None when glassdome wrote none there."""
    return AWS_TAGS.decode(tags, where)


def retag(
    session: AwsSession, full: str, name: str, current: Mapping[str, str], flat: Mapping[str, str]
) -> None:
    """Make glassdome's tags on *full* exactly *flat*: untag fields now unset, tag what changed.

    Stale fields go first, so the secret never holds more tags than before or after.
    """
    ours = {key: value for key, value in current.items() if AWS_TAGS.owns(key)}
    stale = sorted(set(ours) - set(flat))
    fresh = {key: value for key, value in flat.items() if ours.get(key) != value}
    if stale:
        session.request(
            f"removing metadata tags of {name}",
            lambda client: client.untag_resource(SecretId=full, TagKeys=stale),
        )
    if fresh:
        session.request(
            f"tagging {name} with its metadata",
            lambda client: client.tag_resource(SecretId=full, Tags=as_tag_list(fresh)),
        )
