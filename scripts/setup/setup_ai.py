#!/usr/bin/env python3
"""Set up ai: the same as `glassdome setup ai` and `invoke setup.ai`."""

from __future__ import annotations

import sys

from glassdome.cli import main

if __name__ == "__main__":
    sys.exit(main(["setup", "ai", *sys.argv[1:]]))
