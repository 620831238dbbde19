"""The hook a loop over many items reports its progress through.

Lower layers (`glassdome.core.migration`) take a `Progress` and know nothing of
terminals; `glassdome.ui.progress.tracker` makes one that draws a bar, and `every`
is the one that draws nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

__all__ = ["Progress", "every"]

T = TypeVar("T")


class Progress(Protocol):
    """Yields *items* unchanged, showing how far the loop over them got.

    *description* names the work ("Comparing with the store"), never a value.
    """

    def __call__(self, items: Sequence[T], description: str) -> Iterable[T]:
        """The items, in order."""
        ...


def every(items: Sequence[T], description: str) -> Iterable[T]:
    """The items, with no progress shown."""
    del description
    return items
