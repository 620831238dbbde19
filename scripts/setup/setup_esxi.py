#!/usr/bin/env python3
"""Set up esxi: the same as `invoke setup.esxi` (options as for `glassdome play`)."""

from __future__ import annotations

import sys

from glassdome.cli import main
from glassdome.commands.setup import wizard_path

if __name__ == "__main__":
    sys.exit(main(["play", str(wizard_path("esxi")), *sys.argv[1:]]))
