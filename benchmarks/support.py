"""What the benchmarks share: the package as installed, and one warm Argon2id derivation.

``pip install`` of a wheel compiles every module to bytecode; an editable checkout only
gains ``__pycache__`` as modules are imported, and not at all when
``PYTHONDONTWRITEBYTECODE`` is set. Timing whole processes against stale bytecode would
measure Python's compiler, not glassdome, so each benchmark compiles the package first.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from glassdome.primitives import crypto
from glassdome.primitives.sensitive import Sensitive

PACKAGE = Path(__file__).resolve().parent.parent / "glassdome"


def compile_package() -> None:
    """Write up-to-date ``.pyc`` files for every module of the package."""
    if not compileall.compile_dir(PACKAGE, quiet=1):
        raise SystemExit(f"could not compile {PACKAGE}")


def derive_ms(password: str, rounds: int = 7) -> float:
    """Median ms of one default-KDF derivation in this (warm) process."""
    key_file, _ = crypto.new_key_file(Sensitive(password), crypto.DEFAULT_KDF)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        crypto.unlock_key_file(key_file, Sensitive(password))
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


Cases = Mapping[str, tuple[Sequence[str], Mapping[str, str]]]  # label -> (argv, environment)


def interleaved(cases: Cases, runs: int) -> dict[str, float]:
    """Median ms per whole command, the cases run round by round so all meet the same load."""
    samples: dict[str, list[float]] = {label: [] for label in cases}
    for _ in range(runs):
        for label, (argv, env) in cases.items():
            start = time.perf_counter()
            subprocess.run(
                argv,
                env=dict(env),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
            )
            samples[label].append(time.perf_counter() - start)
    return {label: statistics.median(times) * 1000 for label, times in samples.items()}
