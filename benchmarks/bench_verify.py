#!/usr/bin/env python3
"""`glassdome verify` over ten Proxmox VE peers, one of them slow: the checks overlap.

Run by hand: ``pip install -e '.[test]' && python benchmarks/bench_verify.py``. Starts
ten copies of the tests' PVE API server on 127.0.0.1 (instances ``""`` and ``02`` to
``10``, each with its own certificate pinned in ``.env``, as the wizard writes it),
stores a token for each, and times whole ``glassdome verify --json`` processes
(median of ``--runs``). One peer holds every answer for ``--delay`` seconds; the token
check makes two requests, so that peer alone takes about twice the delay. Prints a
table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from glassdome.primitives.crypto import KDF_FLOOR  # noqa: E402
from tests.setup.peers import pve_server  # noqa: E402

PASSWORD = "benchmark master password"
PEERS = 10


class _SlowHandler(pve_server._Handler):
    delay = 1.0

    def _serve(self, method: str) -> None:
        time.sleep(self.delay)
        super()._serve(method)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLASSDOME_", "PROXMOX_"))}
    env.update(
        GLASSDOME_HOME=str(home),
        GLASSDOME_MASTER_PASSWORD=PASSWORD,
        GLASSDOME_SECRETS_BACKEND="file",
        GLASSDOME_KDF_MEMORY_KIB=str(KDF_FLOOR.memory_cost_kib),
        GLASSDOME_KDF_ITERATIONS=str(KDF_FLOOR.iterations),
        GLASSDOME_NO_INPUT="1",
    )
    return env


def _fill(folder: Path, servers: list[Any], env: dict[str, str]) -> list[str]:
    """A token per server in the store (with its record), its settings in ``.env``."""
    os.environ.update(env)
    from glassdome.core.secrets import get_secrets_manager
    from glassdome.primitives.meta import SecretMeta

    manager = get_secrets_manager()
    lines, names = [], []
    for index, server in enumerate(servers):
        suffix = "" if index == 0 else f"{index + 1:02d}"
        prefix = f"PROXMOX_{suffix}_" if suffix else "PROXMOX_"
        name = f"proxmox_token_value_{suffix}" if suffix else "proxmox_token_value"
        value = server.state.add_token("root@pam", "bench", privsep=0)
        identity = {"host": f"127.0.0.1:{server.port}", "token_id": "root@pam!bench"}
        manager.set_secret(name, value, meta=SecretMeta(platform="proxmox", identity=identity))
        lines += [
            f"{prefix}HOST=127.0.0.1",
            f"{prefix}PORT={server.port}",
            f"{prefix}TOKEN_NAME=bench",
            f"{prefix}TLS_FINGERPRINT={server.fingerprint}",
        ]
        names.append(name)
    (folder / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return names


def _time(folder: Path, env: dict[str, str], names: list[str], runs: int) -> tuple[float, int]:
    samples, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "glassdome", "verify", "--json", *names],
            cwd=folder,
            env=env,
            capture_output=True,
            check=False,
            timeout=120,
        )
        samples.append(time.perf_counter() - start)
        code = done.returncode
    return statistics.median(samples), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds the slow peer waits")
    options = parser.parse_args()
    _SlowHandler.delay = options.delay
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        servers = [
            stack.enter_context(pve_server.PveServer(folder, password="unused"))
            for _ in range(PEERS)
        ]
        env = _env(folder / "home")
        names = _fill(folder, servers, env)
        fast, _ = _time(folder, env, names[1:2], options.runs)
        all_fast, code_fast = _time(folder, env, names, options.runs)
        servers[-1].server.RequestHandlerClass = _SlowHandler  # one peer turns slow
        slow_alone, _ = _time(folder, env, names[-1:], options.runs)
        mixed, code_mixed = _time(folder, env, names, options.runs)
    table = Table(title=f"glassdome verify, median of {options.runs} whole processes")
    for column in ("credentials checked", "peers", "wall time", "exit"):
        table.add_column(column)
    table.add_row("1", "1 fast", f"{fast:.2f} s", "0")
    table.add_row(str(PEERS), f"{PEERS} fast", f"{all_fast:.2f} s", str(code_fast))
    table.add_row("1", f"1 slow ({options.delay:g} s per answer)", f"{slow_alone:.2f} s", "0")
    table.add_row(str(PEERS), "9 fast + that slow one", f"{mixed:.2f} s", str(code_mixed))
    Console().print(table)


if __name__ == "__main__":
    main()
