"""Fixtures for the Proxmox VE wizard's tests: the PVE server and the wizard's CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.setup.peers.pve_server import PveServer
from tests.setup.proxmox.wizard import ENV_BEFORE, PASSWORD
from tests.setup.support import WizardCli, work_folder


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[PveServer]:
    """A PVE API server with root@pam (password PASSWORD) and one node, pve1."""
    with PveServer(tmp_path, password=PASSWORD) as server:
        yield server


@pytest.fixture
def cli(home: Path, tmp_path: Path) -> WizardCli:
    """glassdome with a fresh file store, run from a work folder holding ENV_BEFORE."""
    return WizardCli(home=home, cwd=work_folder(tmp_path, ENV_BEFORE), wizard="proxmox")
