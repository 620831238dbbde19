"""The ``glassdome`` console script: `secrets get NAME` from an unlocked agent, else the CLI.

``glassdome secrets get NAME`` is what scripts run most. When the unlock agent holds
the store, this module answers it with the standard library alone (through
`glassdome.primitives.agent_wire`): no pydantic, Rich, cryptography or backend is
imported. Anything else, and any miss (no agent, locked, another store, a terminal
on stdout, ``GLASSDOME_AGENT=off``), runs `glassdome.cli` as before, which prints
what it always printed.
"""

from __future__ import annotations

import os
import sys

# Not `typing.TYPE_CHECKING`: importing typing is a noticeable share of a `secrets get`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["agent_get", "run"]


def agent_get(argv: Sequence[str], env: Mapping[str, str]) -> str | None:
    """The value `secrets get NAME` would print, served by the agent; None on any miss."""
    if len(argv) != 3 or argv[0] != "secrets" or argv[1] != "get":
        return None
    from glassdome.primitives import agent_wire as wire

    if wire.agent_disabled(env) or sys.stdout is None or sys.stdout.isatty():
        return None  # on a terminal the CLI warns before printing
    configured = env.get("GLASSDOME_HOME")
    home = os.path.expanduser(configured or os.path.join("~", ".glassdome"))
    backend = wire.recorded_backend(home, env.get("GLASSDOME_SECRETS_BACKEND", "auto"))
    if backend is None:
        return None
    from glassdome.primitives.hardening import disable_core_dumps

    disable_core_dumps()  # before a value is in this process's memory
    # The agent checks and lower-cases the name; a bad one is an error there, and the CLI
    # then reports it as it always does.
    message = {"op": "get", "store": wire.store_id(home, backend), "name": argv[2]}
    try:
        reply = wire.request(message, env)
    except wire.AgentMiss:
        return None
    value = reply.get("value") if reply.get("ok") else None
    return value if isinstance(value, str) else None


def run() -> None:
    """Console-script entry point."""
    value = agent_get(sys.argv[1:], os.environ)
    if value is not None:
        sys.stdout.write(value + "\n")
        sys.stdout.flush()
        sys.exit(0)
    from glassdome.cli import run as run_cli

    run_cli()
