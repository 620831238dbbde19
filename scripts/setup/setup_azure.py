#!/usr/bin/env python3
"""Set up azure: the same as `invoke setup.azure` (options as for `glassdome play`)."""

from __future__ import annotations

import sys

from glassdome.cli import main
from glassdome.commands.setup import wizard_path

if __name__ == "__main__":
    sys.exit(main(["play", str(wizard_path("azure")), *sys.argv[1:]]))
