"""Fixtures for the unlock agent's tests: a private runtime folder and a store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent.support import stop_agents
from tests.cli.runner import Cli


@pytest.fixture
def runtime() -> Path:
    """This test's ``XDG_RUNTIME_DIR`` (tests/conftest.py sets it), created private."""
    folder = Path(os.environ["XDG_RUNTIME_DIR"])
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@pytest.fixture
def agent(home: Path, work: Path, runtime: Path) -> Iterator[Cli]:
    """glassdome on a store in *home*, with any agent it starts stopped when the test ends."""
    cli = Cli(home=home, cwd=work)
    try:
        yield cli
    finally:
        stop_agents(cli, runtime)


@pytest.fixture
def unlocked(agent: Cli) -> Cli:
    """A store holding ``alpha`` and ``beta``, unlocked in a running agent."""
    agent.set("alpha", "value-of-alpha")
    agent.set("beta", "value-of-beta")
    result = agent("unlock")
    assert result.code == 0, str(result)
    return agent
