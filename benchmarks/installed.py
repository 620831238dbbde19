"""Put the package in the state a user's install is in before anything is timed.

``pip install`` of a wheel compiles every module to bytecode; an editable checkout only
gains ``__pycache__`` as modules are imported, and not at all when
``PYTHONDONTWRITEBYTECODE`` is set. Timing whole processes against stale bytecode would
measure Python's compiler, not glassdome, so each benchmark compiles the package first.
"""

from __future__ import annotations

import compileall
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "glassdome"


def compile_package() -> None:
    """Write up-to-date ``.pyc`` files for every module of the package."""
    if not compileall.compile_dir(PACKAGE, quiet=1):
        raise SystemExit(f"could not compile {PACKAGE}")
