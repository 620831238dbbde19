#!/usr/bin/env python3
"""Set up proxmox: the same as `invoke setup.proxmox` (options as for `glassdome play`)."""

from __future__ import annotations

import sys

from glassdome.cli import main
from glassdome.commands.setup import wizard_path

if __name__ == "__main__":
    sys.exit(main(["play", str(wizard_path("proxmox")), *sys.argv[1:]]))
