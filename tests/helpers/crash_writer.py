"""Write secrets in a loop, acknowledging each finished write on stdout, until killed.

Usage: ``python crash_writer.py [PREFIX [LIMIT]]``. After ``set_secret`` returns
for ``{PREFIX}n{i}`` the writer prints ``i`` and flushes, so every number the
parent has read is a write the store promised to keep.
"""

from __future__ import annotations

import sys

from glassdome.core.secrets import get_secrets_manager


def main() -> None:
    prefix = sys.argv[1] if len(sys.argv) > 1 else ""
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    secrets = get_secrets_manager()
    for i in range(limit):
        secrets.set_secret(f"{prefix}n{i}", f"v{i}")
        print(i, flush=True)


if __name__ == "__main__":
    main()
