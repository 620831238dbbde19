"""A stuck run ends with the stuck test's stack printed, in one process or over xdist workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

STUCK = """
import threading

def test_quick():
    assert True

def test_stuck_forever():
    threading.Event().wait()
"""


@pytest.mark.parametrize(
    "workers", [[], ["-n", "2", "--max-worker-restart=0"]], ids=["one", "xdist"]
)
def test_a_run_past_its_limit_fails_and_prints_the_stuck_test(
    tmp_path: Path, workers: list[str]
) -> None:
    (tmp_path / "test_stuck.py").write_text(STUCK)
    env = {**os.environ, "GLASSDOME_TEST_SESSION_LIMIT": "4", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--disable-plugin-autoload",
            "-p",
            "xdist.plugin",
            "-p",
            "pytest_timeout",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.watchdog",
            "-o",
            "timeout=0",
            "--rootdir",
            str(tmp_path),
            *workers,
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "took longer than 4s and was stopped" in output
    assert "in test_stuck_forever" in output
