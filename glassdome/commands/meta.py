"""`glassdome secrets list --long` and `glassdome secrets show`: what is known about secrets.

Both read the metadata records beside the values (`glassdome.primitives.meta`):
where each value came from, the platform and identity it belongs to, when it
expires and when it was last verified. Neither ever reads a value. A name whose
backend keeps no record (or that was stored before records were kept) shows blanks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

from glassdome.core.secrets import SecretsManager, get_secrets_manager
from glassdome.errors import GlassdomeError
from glassdome.primitives.names import normalize_name
from glassdome.ui.console import Terminal

if TYPE_CHECKING:
    from glassdome.primitives.meta import SecretMeta

__all__ = ["list_long", "short_identity", "short_time", "show_secret"]

# The identity parts a table row shows, in this order: what names a credential at a glance.
# The rest (an ARN, a client id) is in `secrets show`.
_SHORT_KEYS = ("host", "base_url", "account", "tenant", "token_id", "user", "access_key_id")
_FIELDS = (
    ("created", "created"),
    ("updated", "updated"),
    ("source", "source"),
    ("platform", "platform"),
    ("expires", "expires"),
    ("verified", "verified"),
    ("last_check", "last check"),
)


def short_identity(meta: SecretMeta | None) -> str:
    """The identity in a few words: ``pve:8006 root@pam!glassdome``; empty when unknown."""
    if meta is None or not meta.identity:
        return ""
    parts = [meta.identity[key] for key in _SHORT_KEYS if meta.identity.get(key)]
    return " ".join(parts or [meta.identity[key] for key in sorted(meta.identity)])


def short_time(text: str | None) -> str:
    """A stored UTC time to the minute (``2026-12-06 03:30Z``); empty when unknown."""
    if not text:
        return ""
    if len(text) >= 16 and text[10] == "T":
        return f"{text[:10]} {text[11:16]}Z"
    return text


def list_long(
    term: Terminal, *, as_json: bool = False, manager: SecretsManager | None = None
) -> int:
    """The stored names with their platform, identity, and dates (never values).

    With *as_json*: ``backend``, ``secrets`` (the names) and ``records`` (each name's
    record, or null).
    """
    manager = manager or get_secrets_manager(prompt=term)
    listed = manager.list_meta()
    backend = manager.backend_name
    if as_json:
        records = {
            name: None if meta is None else meta.as_record() for name, meta in listed.items()
        }
        document = {"backend": backend, "secrets": list(listed), "records": records}
        term.write_json(document)
        return 0
    if not listed:
        term.say(f"No secrets stored in the {backend} backend yet.")
        return 0
    from rich.table import Table

    table = Table(title=f"Secrets in the {backend} backend", title_justify="left")
    for column in ("name", "platform", "identity", "updated", "expires", "verified"):
        table.add_column(column)
    for name, meta in listed.items():
        if meta is None:
            table.add_row(name, "", "", "", "", "")
            continue
        table.add_row(
            name,
            escape(meta.platform or ""),
            escape(short_identity(meta)),
            short_time(meta.updated),
            short_time(meta.expires),
            short_time(meta.verified),
        )
    term.out.print(table)
    term.say("Times are UTC; `glassdome secrets show NAME` shows everything known about one.")
    return 0


def _show_lines(meta: SecretMeta) -> list[tuple[str, str]]:
    lines = [(label, getattr(meta, name) or "") for name, label in _FIELDS[:4]]
    identity = sorted(meta.identity.items()) or [("", "")]
    lines += [(f"identity.{key}".rstrip("."), value) for key, value in identity]
    lines += [(label, getattr(meta, name) or "") for name, label in _FIELDS[4:]]
    return lines


def show_secret(
    term: Terminal, name: str, *, as_json: bool = False, manager: SecretsManager | None = None
) -> int:
    """Everything known about one secret except its value: provenance, identity, expiry."""
    manager = manager or get_secrets_manager(prompt=term)
    key = normalize_name(name)
    if key not in manager.list_secrets():
        raise GlassdomeError(f"no secret named {key!r}; `glassdome secrets list` shows the names")
    meta = manager.get_meta(key)
    backend = manager.backend_name
    if as_json:
        record = None if meta is None else meta.as_record()
        document = {"name": key, "backend": backend, "meta": record}
        term.write_json(document)
        return 0
    term.out.print(f"[bold]{key}[/] in the {backend} backend")
    if meta is None:
        term.out.print(
            f"  no metadata: stored before glassdome kept any, or the {backend} backend keeps none"
        )
        return 0
    lines = _show_lines(meta)
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        term.out.print(f"  {label.ljust(width)}  {escape(value) if value else '-'}")
    return 0
