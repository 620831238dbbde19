"""The encrypted file store under several processes at once and under SIGKILL.

Writers are real child processes (``tests/helpers/``) on a real store in
``tmp_path``; every wait on them is bounded.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from glassdome.backends.encrypted_file import STORE_FILE, EncryptedFileBackend
from glassdome.core.secrets import SecretsManager
from glassdome.primitives.master import MasterPasswordSource
from tests.conftest import subprocess_env

HELPERS = Path(__file__).resolve().parent.parent / "helpers"
TIMEOUT = 60.0  # seconds any single wait on a child may take before the test fails


class Child:
    """A helper script in a child process, its stdout read line by line with timeouts."""

    def __init__(self, home: Path, script: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HELPERS / script), *args],
            env=subprocess_env(home),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def read_line(self) -> str | None:
        """The next line of stdout, or None once the child has closed it."""
        try:
            return self._lines.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"no output from the child within {TIMEOUT:g}s") from None

    def expect(self, line: str) -> None:
        got = self.read_line()
        assert got == line, f"expected {line!r}, got {got!r}; stderr: {self.stderr()}"

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=TIMEOUT)

    def close(self) -> None:
        self.kill()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def children() -> Iterator[list[Child]]:
    """Children registered here are killed however the test ends."""
    started: list[Child] = []
    yield started
    for child in started:
        child.close()


def open_store(home: Path) -> SecretsManager:
    """A new manager with the children's password; a lock left held fails in 10 s, not 30."""
    env = subprocess_env(home)
    backend = EncryptedFileBackend(home, MasterPasswordSource(env=env), lock_timeout=10)
    return SecretsManager(home=home, backend=backend, env=env)


def stored(home: Path) -> dict[str, str | None]:
    manager = open_store(home)
    return {name: manager.get_secret(name) for name in manager.list_secrets()}


def temp_files(home: Path) -> list[Path]:
    return sorted(home.glob(f".{STORE_FILE}*.tmp"))


@pytest.mark.parametrize("existing_store", [False, True], ids=["new store", "existing store"])
def test_processes_writing_at_once_lose_nothing(
    home: Path, children: list[Child], existing_store: bool
) -> None:
    """4 processes x 25 names, released together (racing to create the store when new)."""
    if existing_store:
        open_store(home).set_secret("seed", "seed-value")
    workers, count = 4, 25
    for worker in range(workers):
        children.append(Child(home, "concurrent_writer.py", str(worker), str(count)))
    for child in children:
        child.expect("ready")
    for child in children:
        child.send("go")
    for child in children:
        child.expect("done")
        assert child.proc.wait(timeout=TIMEOUT) == 0, child.stderr()
    expected = {f"w{w}_{i}": f"value-{w}-{i}" for w in range(workers) for i in range(count)}
    if existing_store:
        expected["seed"] = "seed-value"
    assert stored(home) == expected


def test_killed_writer_never_corrupts_the_store_or_loses_an_acknowledged_write(
    home: Path, children: list[Child]
) -> None:
    """8 rounds on one store, each writer SIGKILLed after 1-40 acknowledged writes."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    acknowledged: dict[str, str] = {}
    for round_ in range(8):
        prefix = f"r{round_}_"
        child = Child(home, "crash_writer.py", prefix)
        children.append(child)
        for _ in range(rng.randint(1, 40)):
            line = child.read_line()
            assert line is not None, f"seed {seed}: writer died: {child.stderr()}"
            acknowledged[f"{prefix}n{line}"] = f"v{line}"
        time.sleep(rng.uniform(0, 0.01))  # land the kill anywhere inside a later write
        child.kill()
        while (line := child.read_line()) is not None:  # printed before it died: acknowledged
            acknowledged[f"{prefix}n{line}"] = f"v{line}"

        contents = stored(home)  # opens, or the test fails with StoreCorrupted
        missing = {name for name in acknowledged if contents.get(name) != acknowledged[name]}
        assert not missing, f"seed {seed}, round {round_}: lost {sorted(missing)}"
        for name, value in contents.items():  # the write in flight is all there or not at all
            assert value == f"v{name.rpartition('_n')[2]}", f"seed {seed}: {name}"

    manager = open_store(home)
    manager.set_secret("after_the_crashes", "still-fine")
    assert temp_files(home) == []
    assert open_store(home).get_secret("after_the_crashes") == "still-fine"


def test_stale_temp_files_are_harmless_and_removed_by_the_next_write(home: Path) -> None:
    writer = open_store(home)
    writer.set_secret("alpha", "value-a")
    writer.set_secret("beta", "value-b")
    stale = [
        home / f".{STORE_FILE}.0123456789ab.tmp",  # a document the killed writer never finished
        home / f".{STORE_FILE}.bak.ba9876543210.tmp",  # a backup it never moved into place
    ]
    stale[0].write_bytes(b"half a docum")
    os.link(home / STORE_FILE, stale[1])
    reader = open_store(home)
    assert reader.list_secrets() == ["alpha", "beta"]
    assert reader.get_secret("alpha") == "value-a"
    assert temp_files(home) == sorted(stale)  # reading removes nothing
    reader.set_secret("gamma", "value-c")
    assert temp_files(home) == []
    assert stored(home) == {"alpha": "value-a", "beta": "value-b", "gamma": "value-c"}
