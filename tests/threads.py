"""Threads in tests: daemons, joined within a bound, their errors collected and reported.

A thread stuck in C code cannot be interrupted; as a daemon it at least cannot
keep the interpreter (and so the whole test run) alive once the test failed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

BOUND = 60.0  # seconds a group of test threads may take before the test fails


def run_in_threads(
    target: Callable[..., object], arguments: Iterable[tuple[object, ...]], bound: float = BOUND
) -> None:
    """Run ``target(*args)`` for each argument tuple in its own daemon thread, all at once.

    Fails if any thread is still running after *bound* seconds in all, and
    re-raises the first error a thread raised.
    """
    errors: list[BaseException] = []
    lock = threading.Lock()

    def guarded(*args: object) -> None:
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 - reported by the test's thread below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=guarded, args=args, daemon=True) for args in arguments]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + bound
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"{len(stuck)} of {len(threads)} threads still running after {bound:g}s"
    if errors:
        raise errors[0]
