"""Fixtures for the playbook tests: a work folder (holding .env) and glassdome run in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.playbook.support import PlaybookCli


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The current directory of every run: where ``.env`` and the playbook live."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def cli(home: Path, work: Path) -> PlaybookCli:
    """glassdome with a fresh file store in *home* (not created yet), run from *work*."""
    return PlaybookCli(home=home, cwd=work)
