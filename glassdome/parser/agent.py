"""The commands of the unlock agent: unlock, lock, agent status|stop."""

from __future__ import annotations

from typing import Any

from glassdome.parser.base import Parser, command, flag

__all__ = ["AGENT_GROUPS", "add_agent_commands"]

AGENT_GROUPS = ("unlock", "lock", "agent")


def add_agent_commands(groups: Any) -> None:
    """``unlock [--timeout] [--max-lifetime]``, ``lock`` and ``agent status|stop``."""
    p = command(
        groups,
        "unlock",
        "Check the master password once and hand the unlocked store to a per-user agent, "
        "so later commands need no password until it locks.",
        help="unlock the store for this session",
    )
    p.add_argument(
        "--timeout",
        metavar="DURATION",
        help="lock after this long without use (e.g. 15m, 1h; GLASSDOME_AGENT_TIMEOUT; 15m)",
    )
    p.add_argument(
        "--max-lifetime",
        metavar="DURATION",
        help="lock after this long in any case (e.g. 8h, the default)",
    )
    command(
        groups,
        "lock",
        "Make the unlock agent forget every store it holds, and exit.",
        help="lock the store again",
    )
    agent = groups.add_parser("agent", help="the unlock agent: status, stop")
    commands = agent.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    status = command(
        commands,
        "status",
        "Whether the unlock agent runs, which stores it holds, and how long until it locks.",
        help="show the agent's state (never a value)",
    )
    flag(status, "--json", help="JSON on stdout, for scripts")
    command(commands, "stop", "Stop the unlock agent (it forgets everything).", help="stop it")
