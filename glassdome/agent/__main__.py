"""``python -m glassdome.agent --timeout S --max-lifetime S``: run the agent (not for people).

`glassdome unlock` runs it detached. Nothing secret is in its arguments or its
environment: stores arrive over the socket.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from glassdome.agent.server import Agent, lock_memory
from glassdome.primitives.agent_wire import agent_socket
from glassdome.primitives.hardening import disable_core_dumps


def main(argv: list[str] | None = None) -> int:
    """Harden this process, then serve until stopped or timed out."""
    disable_core_dumps()  # first: nothing secret is in memory yet
    parser = argparse.ArgumentParser(prog="python -m glassdome.agent")
    parser.add_argument("--timeout", type=float, required=True, help="idle seconds")
    parser.add_argument("--max-lifetime", type=float, required=True, help="seconds")
    args = parser.parse_args(argv)
    import threading

    threading.stack_size(512 * 1024)  # locked memory: small stacks for the worker threads
    agent = Agent(Path(agent_socket()), args.timeout, args.max_lifetime)
    agent.memory_locked = lock_memory()
    return agent.serve()


if __name__ == "__main__":
    sys.exit(main())
