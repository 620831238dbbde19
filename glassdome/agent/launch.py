"""Starting the agent in the background, and the durations its options take.

The agent runs as ``python -m glassdome.agent`` in a new session, its standard
streams on /dev/null, in ``/``, with this process's environment minus anything that
unlocks a store (master password, tokens) or is a secret: it receives stores over
its socket only.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

from glassdome.errors import GlassdomeError, UsageError
from glassdome.primitives.agent_wire import AgentMiss, request
from glassdome.primitives.childenv import is_store_credential
from glassdome.primitives.names import is_secret_variable

__all__ = [
    "DEFAULT_LIFETIME",
    "DEFAULT_TIMEOUT",
    "ENV_TIMEOUT",
    "agent_environment",
    "agent_status",
    "ensure_agent",
    "format_duration",
    "parse_duration",
]

ENV_TIMEOUT = "GLASSDOME_AGENT_TIMEOUT"
DEFAULT_TIMEOUT = 15 * 60.0
DEFAULT_LIFETIME = 8 * 3600.0
START_GUARD = 15.0  # seconds a new agent may take to answer
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")


def parse_duration(text: str, what: str) -> float:
    """``90``, ``90s``, ``15m``, ``1h30m``, ``2d`` as seconds; `UsageError` otherwise."""
    compact = text.strip().lower().replace(" ", "")
    parts = list(_PART.finditer(compact))
    if not compact or "".join(m.group(0) for m in parts) != compact:
        raise UsageError(f"{what} {text!r} is not a duration; write e.g. 90s, 15m or 1h30m")
    seconds = sum(float(m.group(1)) * _UNITS[m.group(2) or "s"] for m in parts)
    if seconds <= 0:
        raise UsageError(f"{what} must be longer than 0s")
    return seconds


def format_duration(seconds: float) -> str:
    """``1h30m``, ``15m``, ``45s``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{secs}s" if secs or not text else "")


def agent_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """*environ* without store credentials and secret variables: the agent's environment."""
    return {
        name: value
        for name, value in environ.items()
        if not is_store_credential(name) and not is_secret_variable(name)
    }


def agent_status(env: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The running agent's status reply, or None when none answers."""
    try:
        reply = request({"op": "status"}, env, timeout=5.0)
    except AgentMiss:
        return None
    return reply if reply.get("ok") else None


def ensure_agent(timeout: float, lifetime: float, env: Mapping[str, str]) -> dict[str, Any]:
    """The running agent's status, starting one first if none answers."""
    status = agent_status(env)
    if status is not None:
        return status
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "glassdome.agent",
            "--timeout",
            f"{timeout:g}",
            "--max-lifetime",
            f"{lifetime:g}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
        cwd="/",
        # One malloc arena: with its memory locked, each thread's own arena would be 64 MiB.
        env={**agent_environment(env), "MALLOC_ARENA_MAX": "1"},
    )
    deadline = time.monotonic() + START_GUARD
    while time.monotonic() < deadline:
        status = agent_status(env)
        if status is not None:
            return status
        code = child.poll()
        if code is not None and code != 3:  # 3: another agent won the race; wait for it
            break
        time.sleep(0.01)
    raise GlassdomeError(
        "the unlock agent did not start; check that "
        f"{os.environ.get('XDG_RUNTIME_DIR') or 'the temp folder'} is writable, "
        "or run `python -m glassdome.agent --timeout 60 --max-lifetime 60` to see why"
    )
