"""How bench_playbook.py measures: whole processes timed in turns, and the engine run in
this process counting Argon2 derivations and file writes."""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glassdome.primitives import crypto
from glassdome.primitives.sensitive import Sensitive

# -- timing ------------------------------------------------------------------


def run(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, env=dict(env), cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done


@dataclass(frozen=True)
class Command:
    """One timed command: *prepare* (untimed) runs before each sample."""

    label: str
    argv: Sequence[str]
    env: Mapping[str, str]
    prepare: Callable[[], None] | None = None
    repeat: int = 1


def _sample(command: Command, cwd: Path) -> float:
    if command.prepare is not None:
        command.prepare()
    start = time.perf_counter()
    done = subprocess.run(
        command.argv,
        env=dict(command.env),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command.label} exited {done.returncode}:\n{done.stderr[-2000:]!r}")
    return elapsed


def interleaved(commands: Sequence[Command], rounds: int, cwd: Path) -> dict[str, float]:
    """Median ms per label over *rounds* rounds, each running every command in turn, so
    both tools meet the same background load."""
    samples: dict[str, list[float]] = {command.label: [] for command in commands}
    for _ in range(rounds):
        for command in commands:
            for _ in range(command.repeat):
                samples[command.label].append(_sample(command, cwd))
    return {label: statistics.median(values) * 1000 for label, values in samples.items()}


def step_medians(json_lines: str) -> dict[str, float]:
    """Median in-engine duration (ms) per step type, from ``--json`` step events."""
    durations: dict[str, list[float]] = {}
    for line in json_lines.splitlines():
        event = json.loads(line)
        if event["event"] == "step":
            durations.setdefault(event["uses"], []).append(event["duration"] * 1000)
    return {uses: statistics.median(values) for uses, values in durations.items()}


def load_ms(path: Path, runs: int) -> float:
    """Median in-process time of load_playbook (parse and validate, nothing run)."""
    from glassdome.playbook.loader import load_playbook

    load_playbook(path)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        load_playbook(path)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


# -- counting unlocks and writes in-process -----------------------------------


@contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    for name in ("GLASSDOME_KDF_MEMORY_KIB", "GLASSDOME_KDF_ITERATIONS"):
        os.environ.pop(name, None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def count_run(playbook: Path, answers: Path, env: Mapping[str, str]) -> dict[str, int]:
    """Run the engine in this process as a fresh CLI process would, counting Argon2
    derivations and file writes (wrappers around the store's and .env's atomic_write)."""
    import glassdome.backends.encrypted_file as encrypted_file
    import glassdome.primitives.envfile as envfile
    from glassdome.boundary import guarded
    from glassdome.commands.play import play
    from glassdome.core.secrets import get_secrets_manager, reset_secrets_manager
    from glassdome.ui.console import Terminal

    counts = {"derivations": 0, "store": 0, "env": 0, "unlock_count": 0}
    home = Path(env["GLASSDOME_HOME"])
    real_derive, real_store_write, real_env_write = (
        crypto._derive_kek,
        encrypted_file.atomic_write,
        envfile.atomic_write,
    )

    def derive(*args: Any, **kwargs: Any) -> Any:
        counts["derivations"] += 1
        return real_derive(*args, **kwargs)

    def store_write(path: Path, *args: Any, **kwargs: Any) -> None:
        if Path(path) == home / encrypted_file.STORE_FILE:
            counts["store"] += 1
        real_store_write(path, *args, **kwargs)

    def env_write(path: Path, *args: Any, **kwargs: Any) -> None:
        counts["env"] += 1
        real_env_write(path, *args, **kwargs)

    crypto._derive_kek = derive  # type: ignore[assignment]
    encrypted_file.atomic_write = store_write  # type: ignore[assignment]
    envfile.atomic_write = env_write  # type: ignore[assignment]
    try:
        with _environ(env):
            reset_secrets_manager()  # a new process: a new manager, a locked store
            out, err = io.StringIO(), io.StringIO()
            term = Terminal(stdin=io.StringIO(), stdout=out, stderr=err, env=os.environ)
            code = guarded(
                lambda t, r: play(t, r, playbook, answers=answers, no_input=True, as_json=True),
                term,
            )
            if code != 0:
                raise SystemExit(f"in-process run exited {code}:\n{err.getvalue()[-2000:]}")
            backend = get_secrets_manager().backend
            counts["unlock_count"] = getattr(backend, "unlock_count", -1)
            reset_secrets_manager()
    finally:
        crypto._derive_kek = real_derive
        encrypted_file.atomic_write = real_store_write
        envfile.atomic_write = real_env_write
    return counts


def generation(home: Path, password: str) -> int:
    """The store document's generation counter: one more per write of secrets.encrypted."""
    from glassdome.backends.encrypted_file import KEY_FILE, STORE_FILE

    key_file = crypto.parse_key_file((home / KEY_FILE).read_bytes(), KEY_FILE)
    key = crypto.unlock_key_file(key_file, Sensitive(password))
    raw = (home / STORE_FILE).read_bytes()
    return crypto.decrypt_document(key, raw, STORE_FILE).generation
