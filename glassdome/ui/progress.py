"""A progress bar for work over many items, shown only to a person watching.

Commands that go through many secrets (`copy`, `import`, `migrate`) wrap their loop in
`track`: on a terminal (stderr is a TTY) Rich draws a transient bar on stderr; on a pipe,
a file, or with ``--json`` the items pass through untouched and nothing is printed.
The description names the work, never a secret's value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from glassdome.ui.console import Terminal

__all__ = ["MIN_ITEMS", "track"]

T = TypeVar("T")

MIN_ITEMS = 2  # one item is over before a bar could be read


def _shown(term: Terminal, total: int | None, enabled: bool) -> bool:
    if not enabled or (total is not None and total < MIN_ITEMS):
        return False
    try:
        return term.stderr.isatty()
    except (ValueError, OSError):
        return False


def track(
    term: Terminal,
    items: Iterable[T],
    description: str,
    *,
    total: int | None = None,
    enabled: bool = True,
) -> Iterator[T]:
    """Yield *items*, drawing a bar on *term*'s stderr when it is a terminal and *enabled*.

    *enabled* is false for ``--json`` runs. *total* defaults to ``len(items)`` when known.
    """
    if total is None and isinstance(items, Sized):
        total = len(items)
    if not _shown(term, total, enabled):
        yield from items
        return
    from rich.progress import track as rich_track

    yield from rich_track(
        items, description=description, total=total, console=term.err, transient=True
    )
