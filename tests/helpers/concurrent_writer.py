"""Write COUNT secrets named ``w{WORKER}_{i}`` once the parent says go.

Usage: ``python concurrent_writer.py WORKER COUNT``. Prints ``ready`` after the
imports and the manager are set up, waits for a line on stdin, writes one
secret per call, then prints ``done``; the parent releases all workers at once
so their writes overlap.
"""

from __future__ import annotations

import sys

from glassdome.core.secrets import get_secrets_manager


def main() -> None:
    worker, count = sys.argv[1], int(sys.argv[2])
    secrets = get_secrets_manager()
    secrets.get_secret("warm_up")  # selects the backend (and unlocks, if a store exists)
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(count):
        secrets.set_secret(f"w{worker}_{i}", f"value-{worker}-{i}")
    print("done", flush=True)


if __name__ == "__main__":
    main()
