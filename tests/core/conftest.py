"""Fixtures of the Settings tests."""

from __future__ import annotations

from pathlib import Path

import pytest

# Read from the developer's environment by Settings; cleared so a test sees only its own.
SETTINGS_VARIABLES = (
    "PROXMOX_PASSWORD",
    "PROXMOX_TOKEN_VALUE",
    "PROXMOX_HOST",
    "PROXMOX_PORT",
    "OPENAI_API_KEY",
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password_env: str) -> Path:
    """A project folder with its own .env; the file backend with a known password."""
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("GLASSDOME_SECRETS_BACKEND", "file")
    for var in SETTINGS_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    return folder
