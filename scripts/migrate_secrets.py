#!/usr/bin/env python3
"""Move the known secrets from .env into the secret store, asking before storing.

The same as `glassdome secrets migrate --confirm` (it asks only on a terminal).
Usage: python scripts/migrate_secrets.py [--env-file PATH] [--dry-run] [--scrub] [--overwrite]
"""

from __future__ import annotations

import sys

from glassdome.cli import main

if __name__ == "__main__":
    sys.exit(main(["secrets", "migrate", "--confirm", *sys.argv[1:]]))
