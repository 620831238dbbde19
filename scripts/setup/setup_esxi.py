#!/usr/bin/env python3
"""Set up esxi: the same as `glassdome setup esxi` and `invoke setup.esxi`."""

from __future__ import annotations

import sys

from glassdome.cli import main

if __name__ == "__main__":
    sys.exit(main(["setup", "esxi", *sys.argv[1:]]))
