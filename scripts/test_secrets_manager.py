#!/usr/bin/env python3
"""Run the secret store's test suite (store, backends, helpers) and exit with its status."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    sys.exit(
        pytest.main(
            [
                *(str(ROOT / "tests" / part) for part in ("primitives", "backends", "core")),
                *sys.argv[1:],
            ]
        )
    )
