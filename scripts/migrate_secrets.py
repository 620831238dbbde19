#!/usr/bin/env python3
"""Move the known secrets from .env into the secret store, asking before storing.

The same as `glassdome secrets migrate`, with an interactive confirmation.
Usage: python scripts/migrate_secrets.py [--env-file PATH] [--dry-run] [--scrub] [--overwrite]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from glassdome.cli import guarded
from glassdome.commands.migrate import migrate
from glassdome.primitives.envfile import env_file_path
from glassdome.ui.console import Terminal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-file", type=Path, default=None)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--scrub", action="store_true")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    term = Terminal()
    return guarded(
        lambda: migrate(
            term,
            env_file=args.env_file or env_file_path(),
            dry_run=args.dry_run,
            scrub=args.scrub,
            overwrite=args.overwrite,
            confirm=term.interactive,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
