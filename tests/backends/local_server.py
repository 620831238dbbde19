"""Server processes on 127.0.0.1 for tests: start on a free port, wait until it answers, stop.

`local_server()` runs a tool from PATH with ``HOME`` and its log in a folder of
the caller's, in a process group of its own, waits until it answers, and stops
that group by its ID on exit (SIGTERM, then SIGKILL). `shared_server()` keeps
one such server for the whole test session. `refused_url()` and `silent_url()`
are addresses that fail on purpose: nothing listens there, or the listener
never answers.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from tests.conftest import require_tool

if TYPE_CHECKING:
    import pytest

__all__ = [
    "GUARD",
    "HOST",
    "LocalServer",
    "answers",
    "free_port",
    "free_port_pair",
    "local_server",
    "refused_url",
    "shared_server",
    "silent_url",
    "stop",
]

HOST = "127.0.0.1"
# Guards against a hang, never a timing assertion: the servers start in well under a second.
GUARD = 30.0

T = TypeVar("T")


def free_port() -> int:
    """A port that is free on 127.0.0.1 right now (another process may still take it)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A port P such that P and P+1 are both free on 127.0.0.1 right now."""
    for _ in range(100):
        port = free_port()
        if port < 65535 and _free(port + 1):
            return port
    raise RuntimeError(f"found no two adjacent free ports on {HOST}")


def answers(url: str, accept: Callable[[bytes], bool] | None = None) -> bool:
    """Whether a GET of *url* succeeds within a second (and its body passes *accept*, if given)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - http on 127.0.0.1
            return accept is None or accept(answer.read())
    except (OSError, ValueError):
        return False


def refused_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens: connecting to it is refused."""
    return f"http://{HOST}:{free_port()}"


@contextmanager
def silent_url() -> Iterator[str]:
    """An http URL on 127.0.0.1 that accepts connections and never answers, inside the block."""
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen()
        yield f"http://{HOST}:{silent.getsockname()[1]}"


@dataclass(frozen=True)
class LocalServer:
    """A running server process: its base URL, port, log file and process."""

    url: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop *process* and its process group: SIGTERM, then SIGKILL if it outlives GUARD."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=GUARD)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=GUARD)


def _spawn(
    argv: list[str], env: Mapping[str, str], base: Path, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=base,
            process_group=0,
        )


def _wait_until_ready(
    process: subprocess.Popen[bytes], url: str, ready: Callable[[str], bool]
) -> bool:
    deadline = time.monotonic() + GUARD
    while not ready(url):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@contextmanager
def local_server(
    tool: str,
    arguments: Callable[[int], list[str]],
    base: Path,
    *,
    ready: Callable[[str], bool],
    env: Mapping[str, str] | None = None,
    pick_port: Callable[[], int] = free_port,
    attempts: int = 3,
) -> Iterator[LocalServer]:
    """Run *tool* with ``arguments(port)`` until ``ready(url)``; stop it on exit.

    The process gets PATH, ``HOME`` = *base*, ``LANG`` and *env*, runs in *base*,
    and writes its output to ``base/TOOL-PORT.log``. A start that fails is tried
    again on another port (another process may take the port between choosing
    and binding), *attempts* times in all; then the log's end is in the error.
    Skips (or, under CI, fails) when *tool* is not installed.
    """
    require_tool(tool)
    binary = shutil.which(tool)
    assert binary is not None
    base.mkdir(parents=True, exist_ok=True)
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(base),
        "LANG": "C.UTF-8",
        **(env or {}),
    }
    for attempt in range(1, attempts + 1):
        port = pick_port()
        log = base / f"{tool}-{port}.log"
        process = _spawn([binary, *arguments(port)], environment, base, log)
        server = LocalServer(f"http://{HOST}:{port}", port, log, process)
        try:
            started = _wait_until_ready(server.process, server.url, ready)
        except BaseException:
            stop(server.process)
            raise
        if started:
            break
        stop(server.process)
        if attempt == attempts:
            tail = server.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{tool} did not start (exit {server.process.returncode}):\n{tail}")
    try:
        yield server
    finally:
        stop(server.process)


_running: dict[str, Any] = {}


def shared_server(
    request: pytest.FixtureRequest, key: str, start: Callable[[], AbstractContextManager[T]]
) -> T:
    """What ``start()`` yields, entered once per test session under *key*, exited at its end.

    For servers whose start-up costs seconds: tests share one and keep apart by
    names or prefixes of their own.
    """
    if key not in _running:
        stack = ExitStack()
        _running[key] = stack.enter_context(start())

        def close() -> None:
            del _running[key]
            stack.close()

        request.config.add_cleanup(close)
    return cast(T, _running[key])
