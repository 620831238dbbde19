"""Real unlock agents for tests: started by `glassdome unlock`, always stopped and reaped.

Every test has its own ``XDG_RUNTIME_DIR`` (tests/conftest.py), so its agent is its
own; `agent_pids` finds it by that folder, and the `agent` fixture stops it with
``glassdome agent stop`` and then kills whatever is left, within a bound.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from glassdome.primitives import agent_wire as wire
from tests.cli.runner import Cli

GUARD = 15.0  # seconds an agent may take to start or to stop: a bound, never a timing check
NO_PASSWORD = ("GLASSDOME_MASTER_PASSWORD",)


def _environ(pid: int) -> dict[bytes, bytes]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    return dict(entry.split(b"=", 1) for entry in raw.split(b"\0") if b"=" in entry)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


def agent_pids(runtime: Path) -> list[int]:
    """Live agent processes whose ``XDG_RUNTIME_DIR`` is *runtime*."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"glassdome.agent" not in cmdline or not _alive(int(entry.name)):
            continue
        if _environ(int(entry.name)).get(b"XDG_RUNTIME_DIR") == str(runtime).encode():
            found.append(int(entry.name))
    return found


def wait_until_gone(runtime: Path, bound: float = GUARD) -> bool:
    """Wait (at most *bound* s) until no agent of *runtime* is alive; whether none is."""
    deadline = time.monotonic() + bound
    while agent_pids(runtime):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def stop_agents(cli: Cli, runtime: Path) -> None:
    """``agent stop``, then SIGKILL for anything left; fails if an agent survives."""
    if agent_pids(runtime):
        cli("agent", "stop", XDG_RUNTIME_DIR=str(runtime))
    if not wait_until_gone(runtime, 5.0):
        for pid in agent_pids(runtime):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert wait_until_gone(runtime), f"agents survived: {agent_pids(runtime)}"


def raw_exchange(path: Path, payload: bytes, bound: float = GUARD) -> dict[str, Any]:
    """Send *payload* as it is on the agent's socket; return its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(bound)
        sock.connect(str(path))
        sock.sendall(payload)
        return wire.receive(sock)


def status(env: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The agent's status reply, or None."""
    try:
        reply = wire.request({"op": "status"}, env, timeout=GUARD)
    except wire.AgentMiss:
        return None
    return reply
