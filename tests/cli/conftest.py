"""Fixtures for the CLI tests: a work folder (holding the .env) and glassdome run in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.runner import Cli


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The current directory of every run: where ``.env`` lives."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def cli(home: Path, work: Path) -> Cli:
    """glassdome with a fresh file store in *home*, run from *work*."""
    return Cli(home=home, cwd=work)
