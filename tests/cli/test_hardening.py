"""Processes that hold secrets write no core dump and are not dumpable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.cli.runner import Cli
from tests.conftest import REPO

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")

CHECK = """
import ctypes, resource, sys
sys.argv = ["glassdome", "--version"]
from glassdome.cli import main
try:
    main(["--version"])
except SystemExit:
    pass
libc = ctypes.CDLL(None)
print(resource.getrlimit(resource.RLIMIT_CORE), libc.prctl(3, 0, 0, 0, 0))
"""


@linux
def test_the_cli_disables_core_dumps_before_dispatch() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=ENV,
    )
    assert result.stdout.splitlines()[-1] == "(0, 0) 0"


@linux
def test_disable_core_dumps_directly() -> None:
    code = (
        "import ctypes, resource; from glassdome.primitives.hardening import disable_core_dumps; "
        "disable_core_dumps(); "
        "print(resource.getrlimit(resource.RLIMIT_CORE), ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=ENV,
    )
    assert result.stdout.strip() == "(0, 0) 0"


@linux
def test_secrets_exec_children_inherit_no_core_dumps(cli: Cli) -> None:
    cli.set("proxmox_password", "hardening-test-value-1")
    # Raise the soft limit first so that the 0 seen by the child comes from glassdome.
    glassdome = f"{sys.executable} -m glassdome secrets exec -- sh -c 'ulimit -c; ulimit -Hc'"
    result = cli.run(["sh", "-c", f"ulimit -S -c 4096 2>/dev/null; ulimit -c; exec {glassdome}"])
    assert result.code == 0, result
    before, *inside = result.out.split()
    assert inside == ["0", "0"], (before, result)
