#!/usr/bin/env python3
"""Set up aws: the same as `glassdome setup aws` and `invoke setup.aws`."""

from __future__ import annotations

import sys

from glassdome.cli import main

if __name__ == "__main__":
    sys.exit(main(["setup", "aws", *sys.argv[1:]]))
