"""Keep secrets in this process's memory out of core dumps and other users' debuggers.

`disable_core_dumps` sets ``RLIMIT_CORE`` to 0 (children inherit it) and, on
Linux, clears the "dumpable" flag with ``prctl(PR_SET_DUMPABLE, 0)``: no core
file, and ``/proc/PID/mem``, ``environ`` and ptrace are closed to other
processes of the same user. Both are best effort: a failure (a platform
without them, a sandbox refusing them) changes nothing else. The flag is not
inherited across ``execve``, so ``secrets exec`` children and test harnesses
that spawn glassdome still behave normally.
"""

from __future__ import annotations

import sys

__all__ = ["PR_GET_DUMPABLE", "PR_SET_DUMPABLE", "disable_core_dumps"]

PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4


def disable_core_dumps() -> None:
    """No core dumps from this process or its children; not dumpable on Linux."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, OSError, ValueError):  # Windows has no resource module
        pass
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        except (OSError, AttributeError):
            pass
