"""Fixtures for the playbook tests: glassdome run in the work folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.playbook.support import PlaybookCli


@pytest.fixture
def cli(home: Path, work: Path) -> PlaybookCli:
    """glassdome with a fresh file store in *home* (not created yet), run from *work*."""
    return PlaybookCli(home=home, cwd=work)
