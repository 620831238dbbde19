"""A test run never hangs: a session-wide deadline, and no thread left to keep the process alive.

pytest-timeout fails one slow test (``timeout`` in pyproject.toml); it cannot
stop a thread stuck in C code, nor a run that is slow everywhere. Here, a
watchdog thread ends the whole run after ``GLASSDOME_TEST_SESSION_LIMIT``
seconds (default 900), and a run whose tests left non-daemon threads behind
fails at the end instead of waiting for them forever. Both print every
thread's stack and stop the servers the run started.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

SESSION_LIMIT = float(os.environ.get("GLASSDOME_TEST_SESSION_LIMIT", "900"))
_LEFTOVER_GRACE = 5.0  # seconds left-over threads get to finish after the last test
# With pytest-xdist each worker watches its own tests and prints their stacks; the controller,
# which runs no test, waits this much longer so that a worker's report comes first.
_CONTROLLER_GRACE = 30.0
_stop = threading.Event()
_config: list[pytest.Config] = []


def _dump_and_exit(reason: str, code: int) -> None:
    # pytest captures file descriptor 2 during a test: give it back first.
    capture = _config[0].pluginmanager.getplugin("capturemanager") if _config else None
    if capture is not None:
        capture.suspend_global_capture(in_=True)
    stream = sys.__stderr__
    assert stream is not None
    stream.write(f"\n!!! {reason}; the stack of every thread follows\n")
    stream.flush()
    faulthandler.dump_traceback(file=stream, all_threads=True)
    stream.flush()
    _kill_children()
    os._exit(code)


def _kill_children() -> None:
    """SIGKILL the servers this run started (each in its own process group, or alone)."""
    ours = os.getpid()
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rpartition(")")[2].split()
            if int(fields[1]) != ours:
                continue
            pid, group = int(entry.parent.name), int(fields[2])
            if group not in (ours, os.getpgrp()):
                os.killpg(group, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            continue  # gone already, or not Linux


def _watch(limit: float) -> None:
    if not _stop.wait(limit):
        _dump_and_exit(f"the test run took longer than {SESSION_LIMIT:g}s and was stopped", 1)


def _is_xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    _config.append(session.config)
    limit = SESSION_LIMIT + (_CONTROLLER_GRACE if _is_xdist_controller(session.config) else 0.0)
    threading.Thread(
        target=_watch, args=(limit,), name="test-session-watchdog", daemon=True
    ).start()


def _leftovers() -> list[threading.Thread]:
    main = threading.main_thread()
    return [t for t in threading.enumerate() if t is not main and not t.daemon and t.is_alive()]


def pytest_unconfigure(config: pytest.Config) -> None:
    _stop.set()
    deadline = time.monotonic() + _LEFTOVER_GRACE
    for thread in _leftovers():
        thread.join(max(0.0, deadline - time.monotonic()))
    left = _leftovers()
    if left:
        names = ", ".join(thread.name for thread in left)
        status = getattr(config, "_glassdome_exitstatus", 1) or 1
        _dump_and_exit(f"tests left {len(left)} thread(s) running: {names}", status)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._glassdome_exitstatus = int(exitstatus)  # type: ignore[attr-defined]
