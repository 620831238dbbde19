"""`glassdome unlock`, `glassdome lock` and `glassdome agent status|stop`.

``unlock`` checks the master password here (one derivation; the password never
leaves this process) and hands the unlocked data key to the per-user agent,
starting it first if none runs; from then on every glassdome process is served by
the agent (`glassdome.backends.agent`). The keyring backend needs no password: the
agent holds it to cache what it reads.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping
from typing import Any

from glassdome.agent.launch import (
    DEFAULT_LIFETIME,
    ENV_TIMEOUT,
    agent_status,
    ensure_agent,
    format_duration,
    parse_duration,
)
from glassdome.backends.agent import AGENT_BACKENDS, ENV_CACHE_REMOTE, store_of
from glassdome.core.secrets import SecretsManager
from glassdome.errors import GlassdomeError, SecretStoreError
from glassdome.primitives.agent_wire import (
    ENV_AGENT,
    AgentMiss,
    agent_disabled,
    agent_socket,
    listening,
    request,
    store_id,
)
from glassdome.ui.console import Terminal

__all__ = ["agent_status_command", "lock", "run_agent_command", "stop_agent", "unlock"]

_STOP_GUARD = 10.0


def _hold_message(manager: SecretsManager) -> dict[str, Any]:
    """What the agent needs to hold the selected store; asks for the password if it is a file."""
    backend = manager.backend
    if backend.name not in AGENT_BACKENDS:
        return _remote_message(manager)
    if backend.name == "keyring":
        return {"op": "hold", "store": store_id(manager.home, "keyring")}
    from glassdome.backends.encrypted_file import EncryptedFileBackend
    from glassdome.primitives.crypto import data_key_bytes

    if not isinstance(backend, EncryptedFileBackend) or not backend.key_path.exists():
        raise SecretStoreError(
            f"there is no store in {manager.home} yet, so nothing to unlock; "
            "the first `glassdome secrets set` creates one"
        )
    key = backend.hand_over()  # the one derivation; a wrong password stops here
    store = store_id(manager.home, "file")
    if store["key_id"] != key.key_id:
        raise SecretStoreError(f"the store in {manager.home} changed while unlocking; try again")
    return {"op": "hold", "store": store, "data_key": data_key_bytes(key).decode("ascii")}


def _remote_message(manager: SecretsManager) -> dict[str, Any]:
    """Hold a remote backend only to cache its values, and only when asked to."""
    from glassdome.backends.base import seconds_setting

    backend = manager.backend
    if not manager.env.get(ENV_CACHE_REMOTE):
        raise GlassdomeError(
            f"the {backend.name} backend logs in by itself, so there is nothing to unlock; "
            f"set {ENV_CACHE_REMOTE}=SECONDS to let the agent cache its values that long"
        )
    seconds = seconds_setting(manager.env, ENV_CACHE_REMOTE, 60.0)
    env = {k: v for k, v in manager.env.items() if not k.startswith("GLASSDOME_MASTER_PASSWORD")}
    env.pop(ENV_AGENT, None)
    store = store_of(backend, manager.home)
    return {"op": "hold", "store": store, "env": env, "cache": seconds}


def unlock(
    term: Terminal,
    *,
    timeout: str | None = None,
    max_lifetime: str | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Unlock the store once and hand it to the agent for the rest of the session."""
    env = os.environ if env is None else env
    if agent_disabled(env):
        raise GlassdomeError(f"{ENV_AGENT}=off turns the unlock agent off; unset it to unlock")
    given = timeout or env.get(ENV_TIMEOUT) or "15m"
    seconds = parse_duration(given, "--timeout" if timeout else ENV_TIMEOUT)
    lifetime = parse_duration(max_lifetime, "--max-lifetime") if max_lifetime else DEFAULT_LIFETIME
    manager = SecretsManager(env={**env, ENV_AGENT: "off"}, prompt=term)
    message = _hold_message(manager)
    ensure_agent(seconds, lifetime, env)
    try:
        reply = request({**message, "timeout": seconds}, env)
    except AgentMiss:
        raise GlassdomeError(
            "the unlock agent stopped answering; run `glassdome unlock` again"
        ) from None
    finally:
        message.clear()
    if not reply.get("ok"):
        raise GlassdomeError(f"the unlock agent refused the store: {reply.get('message')}")
    term.say(
        f"Unlocked the {manager.backend_name} store in {manager.home} "
        f"(agent pid {reply.get('pid')}): it stays unlocked until {format_duration(seconds)} "
        f"without use, at most {format_duration(float(reply.get('lifetime_left', 0)))}; "
        "`glassdome lock` locks it now."
    )
    return 0


def _stop(env: Mapping[str, str]) -> int | None:
    """Tell the agent to forget everything and exit; its pid, or None if none ran."""
    try:
        reply = request({"op": "stop"}, env, timeout=5.0)
    except AgentMiss as miss:
        if not miss.reached:
            return None
        reply = {}  # it took the request and went quiet: it must still be gone before we say so
    deadline = time.monotonic() + _STOP_GUARD
    while (still := listening(env)) and time.monotonic() < deadline:
        time.sleep(0.01)
    if still:
        raise GlassdomeError(
            f"the unlock agent on {agent_socket(env)} did not stop; "
            'end it with `pkill -u "$(id -u)" -f glassdome.agent` and run `glassdome lock` again'
        )
    pid = reply.get("pid")
    return pid if isinstance(pid, int) else 0  # 0: it stopped without saying which it was


def _which(pid: int) -> str:
    return f"the unlock agent (pid {pid})" if pid else "the unlock agent"


def lock(term: Terminal, env: Mapping[str, str] | None = None) -> int:
    """The agent forgets every store it holds, and exits."""
    pid = _stop(os.environ if env is None else env)
    if pid is None:
        term.say("No unlock agent was running: nothing was unlocked.")
    else:
        term.say(f"Locked: {_which(pid)} forgot every store and exited.")
    return 0


def stop_agent(term: Terminal, env: Mapping[str, str] | None = None) -> int:
    """Stop the agent (it forgets every store first)."""
    pid = _stop(os.environ if env is None else env)
    term.say("No unlock agent was running." if pid is None else f"Stopped {_which(pid)}.")
    return 0


def agent_status_command(
    term: Terminal, *, as_json: bool = False, env: Mapping[str, str] | None = None
) -> int:
    """Whether the agent runs, what it holds, and how long until it locks (never a value)."""
    status = agent_status(os.environ if env is None else env)
    if as_json:
        shown: dict[str, Any] = {"running": status is not None}
        if status is not None:
            keys = ("pid", "stores", "idle_left", "lifetime_left", "timeout", "memory_locked")
            shown.update({key: status.get(key) for key in keys})
        term.write_json(shown)
        return 0
    if status is None:
        term.stdout.write("The unlock agent is not running: every command unlocks for itself.\n")
        return 0
    stores = status.get("stores") or []
    lines = [f"The unlock agent runs (pid {status.get('pid')}) and holds {len(stores)} store(s):"]
    lines += [f"  {store.get('backend')} store in {store.get('home')}" for store in stores]
    lines.append(
        f"It locks after {format_duration(float(status.get('idle_left', 0)))} more without use "
        f"(at the latest in {format_duration(float(status.get('lifetime_left', 0)))})."
    )
    term.stdout.write("\n".join(lines) + "\n")
    return 0


def run_agent_command(args: argparse.Namespace, term: Terminal) -> int:
    """Dispatch ``unlock``, ``lock`` and ``agent status|stop`` (parsed by `glassdome.parser`)."""
    if args.group == "unlock":
        return unlock(term, timeout=args.timeout, max_lifetime=args.max_lifetime)
    if args.group == "lock":
        return lock(term)
    if args.command == "status":
        return agent_status_command(term, as_json=args.json)
    return stop_agent(term)
