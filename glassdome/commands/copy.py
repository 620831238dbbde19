"""`glassdome secrets copy`: move secrets between any two backends, verifying each value.

Reads every name (or the ``--only`` ones) from the source, compares with the
target, writes what is missing in one `set_many`, and reads each written value
back from the target. A name that already holds a different value in the target
is a conflict: reported, left as it is, exit 1, unless ``--overwrite``. Nothing
is ever deleted from the source. Values never reach the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from glassdome.core.secrets import SecretsManager
from glassdome.errors import SecretConflict, UsageError
from glassdome.primitives.names import normalize_name
from glassdome.primitives.progress import Progress, every
from glassdome.ui.batch import NameStatus, Status, batch_document, report_batch
from glassdome.ui.console import Terminal
from glassdome.ui.progress import tracker

if TYPE_CHECKING:
    from glassdome.primitives.meta import SecretMeta

__all__ = ["CopyItem", "Outcome", "carried_meta", "copy_secrets", "plan_copy", "run_copy"]


class Outcome(StrEnum):
    """What happens (or happened) to one name."""

    COPY = "copy"
    OVERWRITE = "overwrite"
    COPIED = "copied"
    OVERWRITTEN = "overwritten"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    MISSING = "missing"
    FAILED = "failed"


_STATUS = {
    Outcome.COPY: Status.STORED,
    Outcome.OVERWRITE: Status.OVERWRITTEN,
    Outcome.COPIED: Status.STORED,
    Outcome.OVERWRITTEN: Status.OVERWRITTEN,
    Outcome.UNCHANGED: Status.UNCHANGED,
    Outcome.CONFLICT: Status.CONFLICT,
    Outcome.MISSING: Status.MISSING,
    Outcome.FAILED: Status.FAILED,
}
_PROBLEMS = {Outcome.CONFLICT, Outcome.MISSING, Outcome.FAILED}


@dataclass(frozen=True, slots=True)
class CopyItem:
    """One name and what the copy does with it; holds no value."""

    name: str
    outcome: Outcome
    detail: str = ""


def plan_copy(
    source: SecretsManager,
    target: SecretsManager,
    *,
    only: Sequence[str] = (),
    overwrite: bool = False,
    each: Progress = every,
) -> tuple[list[CopyItem], dict[str, str]]:
    """Compare source and target; return the plan and the values to write (by name).

    Each comparison reads both backends; *each* shows how far they got.
    """
    names = source.list_secrets()
    items: list[CopyItem] = []
    if only:
        wanted = sorted({normalize_name(name) for name in only})
        present = set(names)
        items += [
            CopyItem(name, Outcome.MISSING, f"not in the {source.backend_name} backend")
            for name in wanted
            if name not in present
        ]
        names = [name for name in names if name in set(wanted)]
    to_write: dict[str, str] = {}
    for name in each(names, "Comparing source and target"):
        value = source.get_secret(name)
        if value is None:  # deleted from the source while we were listing
            items.append(CopyItem(name, Outcome.MISSING, "vanished from the source"))
            continue
        stored = target.get_secret(name)  # also what a check-and-set target conditions on
        if stored == value:
            items.append(CopyItem(name, Outcome.UNCHANGED))
            continue
        if stored is not None and not overwrite:
            items.append(
                CopyItem(name, Outcome.CONFLICT, "a different value is stored; kept as it is")
            )
            continue
        items.append(CopyItem(name, Outcome.OVERWRITE if stored is not None else Outcome.COPY))
        to_write[name] = value
    return sorted(items, key=lambda item: item.name), to_write


def carried_meta(source: SecretsManager, names: Sequence[str]) -> dict[str, SecretMeta]:
    """The source's records of *names*, to be written with the copies.

    Platform, identity, expiry, verification and creation time travel with the value;
    ``updated`` and ``source`` are the copy's own (the target records ``copy``).
    """
    carried: dict[str, SecretMeta] = {}
    for name in names:
        meta = source.get_meta(name)
        if meta is not None:
            carried[name] = replace(meta, updated=None, source=None)
    return carried


def run_copy(
    target: SecretsManager,
    items: Sequence[CopyItem],
    to_write: Mapping[str, str],
    meta: Mapping[str, SecretMeta] | None = None,
    each: Progress = every,
) -> list[CopyItem]:
    """Write *to_write* (with *meta*, by name) in one batch, read each back; the outcomes.

    *each* shows how far the reading back got.
    """
    changed_meanwhile: set[str] = set()
    if to_write:
        try:
            target.set_many(to_write, meta=meta, source="copy")
        except SecretConflict as exc:  # the others were written: verify them below
            changed_meanwhile = set(exc.names)
    done: list[CopyItem] = []
    for item in each(items, "Reading back from the target"):
        if item.outcome not in (Outcome.COPY, Outcome.OVERWRITE):
            done.append(item)
        elif item.name in changed_meanwhile:
            done.append(CopyItem(item.name, Outcome.CONFLICT, "changed in the target meanwhile"))
        elif target.get_secret(item.name) != to_write[item.name]:
            done.append(CopyItem(item.name, Outcome.FAILED, "read back a different value"))
        elif item.outcome is Outcome.COPY:
            done.append(CopyItem(item.name, Outcome.COPIED))
        else:
            done.append(CopyItem(item.name, Outcome.OVERWRITTEN))
    return done


def _statuses(items: Sequence[CopyItem]) -> list[NameStatus]:
    return [NameStatus(item.name, _STATUS[item.outcome], item.detail) for item in items]


def _count(items: Sequence[CopyItem], *outcomes: Outcome) -> int:
    return sum(item.outcome in outcomes for item in items)


def _summary(done: Sequence[CopyItem], src: str, dst: str) -> str:
    return (
        f"Copied {_count(done, Outcome.COPIED)}, overwritten {_count(done, Outcome.OVERWRITTEN)}, "
        f"unchanged {_count(done, Outcome.UNCHANGED)}, conflicts {_count(done, Outcome.CONFLICT)}"
        + (f", missing {_count(done, Outcome.MISSING)}" if _count(done, Outcome.MISSING) else "")
        + (f", failed {_count(done, Outcome.FAILED)}" if _count(done, Outcome.FAILED) else "")
        + f"; every written value was read back from {dst}. Nothing was deleted from {src}."
    )


def _document(items: Sequence[CopyItem], src: str, dst: str, *, dry_run: bool) -> dict[str, Any]:
    context = {"from": src, "to": dst}
    return batch_document("secrets copy", _statuses(items), dry_run=dry_run, context=context)


def copy_secrets(
    term: Terminal,
    source_backend: str,
    target_backend: str,
    *,
    only: Sequence[str] = (),
    dry_run: bool = False,
    overwrite: bool = False,
    as_json: bool = False,
    source: SecretsManager | None = None,
    target: SecretsManager | None = None,
) -> int:
    """Copy from one backend to another; 1 when a conflict, a missing name or a failure remains.

    With *as_json*, the report is one JSON document on stdout (`glassdome.ui.batch`).
    """
    if source_backend.strip().lower() == target_backend.strip().lower():
        raise UsageError(f"--from and --to are both {source_backend!r}; name two backends")
    source = source or SecretsManager(backend=source_backend, prompt=term)
    target = target or SecretsManager(backend=target_backend, prompt=term)
    src, dst = source.backend_name, target.backend_name
    if src == dst:
        raise UsageError(
            f"--from {source_backend} and --to {target_backend} are both the {src} backend"
        )
    each = tracker(term, enabled=not as_json)
    items, to_write = plan_copy(source, target, only=only, overwrite=overwrite, each=each)
    if not items or dry_run:
        if as_json:
            term.write_json(_document(items, src, dst, dry_run=dry_run))
        elif not items:
            term.say(f"No secrets in the {src} backend; nothing to copy.")
        else:
            summary = (
                f"Dry run: nothing written ({len(to_write)} to copy, "
                f"{_count(items, Outcome.UNCHANGED)} unchanged, "
                f"{_count(items, Outcome.CONFLICT)} conflicts, "
                f"{_count(items, Outcome.MISSING)} missing)."
            )
            title = f"{src} -> {dst} (dry run: would do)"
            report_batch(term, title, _statuses(items), planned=True, summary=summary)
        return 1 if _count(items, *_PROBLEMS) else 0
    done = run_copy(target, items, to_write, carried_meta(source, list(to_write)), each=each)
    if as_json:
        term.write_json(_document(done, src, dst, dry_run=False))
    else:
        summary = _summary(done, src, dst)
        report_batch(term, f"{src} -> {dst}", _statuses(done), planned=False, summary=summary)
        if _count(done, Outcome.CONFLICT) and not overwrite:
            term.say("--overwrite replaces the conflicting values in the target.")
    return 1 if _count(done, *_PROBLEMS) else 0
