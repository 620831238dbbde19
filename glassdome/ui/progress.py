"""A progress bar for work over many items, shown only to a person watching.

Commands that go through many secrets (`copy`, `import`, `migrate`) wrap their loop in
`track`: on a terminal (stderr is a TTY) Rich draws a transient bar on stderr; on a pipe,
a file, or with ``--json`` the items pass through untouched and nothing is printed.
The description names the work, never a secret's value.

The first item is handled before the bar is drawn: that is where a loop opens a store,
which may ask for its master password, and a bar must never be redrawn over a question.
`tracker` gives the same as a `glassdome.primitives.progress.Progress` hook, for the
layers below that take one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from glassdome.primitives.progress import Progress
    from glassdome.ui.console import Terminal

__all__ = ["MIN_ITEMS", "track", "tracker"]

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
    from rich.progress import Progress as Bar

    remaining = iter(items)
    for first in remaining:  # before the bar: it may open a store, which may ask
        yield first
        break
    else:
        return
    with Bar(*Bar.get_default_columns(), console=term.err, transient=True) as bar:
        task = bar.add_task(description, total=total, completed=1)
        for item in remaining:
            yield item
            bar.advance(task)


def tracker(term: Terminal, *, enabled: bool = True) -> Progress:
    """A `Progress` hook that calls `track` on *term* (*enabled* false for ``--json``)."""

    def each(items: Sequence[T], description: str) -> Iterator[T]:
        return track(term, items, description, enabled=enabled)

    return each
