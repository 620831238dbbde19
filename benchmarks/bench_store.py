#!/usr/bin/env python3
"""Secret store speed: KDF cost, unlocks per process, get latency and writes per batch.

Run by hand: ``python benchmarks/bench_store.py``. Prints a table; asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from glassdome.backends.encrypted_file import EncryptedFileBackend
from glassdome.core.secrets import SecretsManager
from glassdome.primitives import atomic, crypto
from glassdome.primitives.master import MasterPasswordSource
from glassdome.primitives.sensitive import Sensitive

PASSWORD = "benchmark master password"
N = 1000


def _derive_ms(params: crypto.KdfParams, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        crypto.new_key_file(Sensitive(PASSWORD), params)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    env = {"GLASSDOME_MASTER_PASSWORD": PASSWORD}
    rows: list[tuple[str, str, str]] = []
    rows.append(
        (
            "Argon2id derivation, default (m=64 MiB, t=3, p=4)",
            f"{_derive_ms(crypto.DEFAULT_KDF):.1f} ms",
            "once per process",
        )
    )
    rows.append(
        (
            "Argon2id derivation, floor (m=19 MiB, t=2, p=1)",
            f"{_derive_ms(crypto.KDF_FLOOR):.1f} ms",
            "OWASP minimum",
        )
    )

    writes = 0
    real_write = atomic.atomic_write

    def counting_write(*args: object, **kwargs: object) -> None:
        nonlocal writes
        writes += 1
        real_write(*args, **kwargs)  # type: ignore[arg-type]

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        import glassdome.backends.encrypted_file as ef

        ef.atomic_write = counting_write  # type: ignore[assignment]
        backend = EncryptedFileBackend(home, MasterPasswordSource(env=env), kdf=crypto.DEFAULT_KDF)
        manager = SecretsManager(home=home, backend=backend, env=env)
        items = {f"secret_{i:04d}": f"value-{i:04d}-" + "x" * 40 for i in range(N)}
        start = time.perf_counter()
        manager.set_many(items)
        batch_ms = (time.perf_counter() - start) * 1000
        store_writes = writes - 1  # the first write of a new store is master_key.enc
        rows.append(
            (
                f"set_many of {N} names on a new store",
                f"{batch_ms:.1f} ms",
                f"{store_writes} store write (plus master_key.enc)",
            )
        )

        latencies = []
        for i in range(2000):
            name = f"secret_{i % N:04d}"
            start = time.perf_counter()
            manager.get_secret(name)
            latencies.append(time.perf_counter() - start)
        latencies.sort()
        rows.append(
            (
                f"get_secret after unlock, {N}-secret store",
                f"median {statistics.median(latencies) * 1e3:.3f} ms",
                f"p99 {latencies[int(len(latencies) * 0.99)] * 1e3:.3f} ms",
            )
        )

        writes = 0
        start = time.perf_counter()
        manager.set_secret("secret_0001", "changed")
        rows.append(
            (
                f"set_secret of one name, {N}-secret store",
                f"{(time.perf_counter() - start) * 1000:.1f} ms",
                f"{writes} write(s)",
            )
        )
        writes = 0
        manager.set_many({"secret_0002": items["secret_0002"]})
        rows.append(("set_many with nothing new", "-", f"{writes} write(s)"))

        fresh = EncryptedFileBackend(home, MasterPasswordSource(env=env))
        other = SecretsManager(home=home, backend=fresh, env=env)
        for i in range(200):
            other.get_secret(f"secret_{i:04d}")
        other.set_secret("another", "value")
        other.list_secrets()
        rows.append(
            (
                "unlocks in a process doing 200 gets, 1 set, 1 list",
                str(fresh.unlock_count),
                "Argon2 derivations",
            )
        )

        code = (
            "import time; t=time.perf_counter();"
            "from glassdome.core.secrets import SecretsManager;"
            "SecretsManager(backend='file').get_secret('secret_0500');"
            "print((time.perf_counter()-t)*1000)"
        )
        cold = []
        for _ in range(5):
            out = subprocess.run(
                [sys.executable, "-c", code],
                env={**os.environ, **env, "GLASSDOME_HOME": str(home)},
                capture_output=True,
                text=True,
                check=True,
            )
            cold.append(float(out.stdout))
        rows.append(
            (
                "new process: import + unlock + first get (default KDF)",
                f"median {statistics.median(cold):.1f} ms",
                "includes one derivation",
            )
        )

    table = Table(title="glassdome secret store (encrypted file backend)")
    table.add_column("measurement")
    table.add_column("result", justify="right")
    table.add_column("note")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


if __name__ == "__main__":
    main()
