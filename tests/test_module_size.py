"""Modules stay small: every Python file in the project is at most 350 lines."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 350
FOLDERS = ("glassdome", "tests", "benchmarks", "scripts", "ansible_collections")


def test_every_python_file_is_at_most_350_lines() -> None:
    files = [ROOT / "tasks.py"]
    for folder in FOLDERS:
        files.extend((ROOT / folder).rglob("*.py"))
    assert len(files) > 100
    long = {
        str(path.relative_to(ROOT)): count
        for path in files
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert long == {}, f"split these modules (at most {LIMIT} lines each): {long}"
