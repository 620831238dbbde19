"""Shared fixtures: isolated homes, a fast (but floor-compliant) KDF, and tool requirements."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from glassdome.core.secrets import reset_secrets_manager
from glassdome.primitives.crypto import KDF_FLOOR

pytest_plugins = ["tests.watchdog"]

PASSWORD = "correct horse battery"
REPO = Path(__file__).resolve().parent.parent


def in_ci() -> bool:
    """CI=true turns every missing component into a failure instead of a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_tool(*names: str) -> None:
    """Skip (or, under CI, fail) when a system tool the test needs is not installed."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        message = f"missing system tools: {', '.join(missing)} (run `invoke test` to install them)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads the developer's real store, keyring choice or password."""
    for var in list(os.environ):
        if var.startswith("GLASSDOME_") or var in {
            "PYTHON_KEYRING_BACKEND",
            "DBUS_SESSION_BUS_ADDRESS",  # never the developer's real keyring
        }:
            monkeypatch.delenv(var)
    import keyring.core

    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # keyring caches its choice
    monkeypatch.setenv("GLASSDOME_HOME", str(tmp_path / "home"))
    # Every test has its own unlock-agent folder: none sees a developer's running agent.
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("GLASSDOME_KDF_MEMORY_KIB", str(KDF_FLOOR.memory_cost_kib))
    monkeypatch.setenv("GLASSDOME_KDF_ITERATIONS", str(KDF_FLOOR.iterations))
    monkeypatch.setenv("GLASSDOME_NO_INPUT", "1")
    reset_secrets_manager()
    yield
    reset_secrets_manager()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The store folder for this test (not created yet)."""
    return tmp_path / "home"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The current directory of a test's runs: where ``.env`` (and a playbook) live."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def password_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """Provide the master password through the environment."""
    monkeypatch.setenv("GLASSDOME_MASTER_PASSWORD", PASSWORD)
    return PASSWORD


def subprocess_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment for a child process using *home* with the test password and fast KDF."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLASSDOME_")}
    env.update(
        GLASSDOME_HOME=str(home),
        GLASSDOME_MASTER_PASSWORD=PASSWORD,
        GLASSDOME_SECRETS_BACKEND="file",
        GLASSDOME_KDF_MEMORY_KIB=str(KDF_FLOOR.memory_cost_kib),
        GLASSDOME_KDF_ITERATIONS=str(KDF_FLOOR.iterations),
        GLASSDOME_NO_INPUT="1",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env
