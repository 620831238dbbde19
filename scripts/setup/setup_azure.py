#!/usr/bin/env python3
"""Set up azure: the same as `glassdome setup azure` and `invoke setup.azure`."""

from __future__ import annotations

import sys

from glassdome.cli import main

if __name__ == "__main__":
    sys.exit(main(["setup", "azure", *sys.argv[1:]]))
