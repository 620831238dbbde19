#!/usr/bin/env python3
"""Set up proxmox: the same as `glassdome setup proxmox` and `invoke setup.proxmox`."""

from __future__ import annotations

import sys

from glassdome.cli import main

if __name__ == "__main__":
    sys.exit(main(["setup", "proxmox", *sys.argv[1:]]))
