"""Fixtures for the CLI tests: glassdome run in the work folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.runner import Cli


@pytest.fixture
def cli(home: Path, work: Path) -> Cli:
    """glassdome with a fresh file store in *home*, run from *work*."""
    return Cli(home=home, cwd=work)
