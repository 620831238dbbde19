#!/usr/bin/env python3
"""The secrets command against ansible-vault and the keyring CLI, measured side by side.

Run by hand: ``pip install -e '.[bench]' && python benchmarks/bench_cli.py``. Prints a
table of median wall times over repeated runs of whole commands; asserts nothing.
Every tool runs from the interpreter's own scripts folder (no shell shims).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.support import Cases, compile_package, derive_ms, interleaved  # noqa: E402

SCRIPTS = Path(sysconfig.get_path("scripts"))
PASSWORD = "benchmark master password"
RUNS = 15
_ARGON2 = "from cryptography.hazmat.primitives.kdf.argon2 import Argon2id\n"
_DERIVE = "Argon2id(salt=b'0'*16, length=32, iterations=3, lanes=4, memory_cost=65536).derive(b'x')"
N = 100


def _time(argv: Sequence[str], env: Mapping[str, str], runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            argv, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def _interleaved(cases: Cases) -> dict[str, float]:
    return interleaved(cases, RUNS)


def main() -> None:
    compile_package()
    console = Console()
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        values = {f"secret_{i:03d}": f"value-{i:03d}-" + "x" * 40 for i in range(N)}
        env = {
            **os.environ,
            "GLASSDOME_HOME": str(work / "home"),
            "GLASSDOME_SECRETS_BACKEND": "file",
            "GLASSDOME_MASTER_PASSWORD": PASSWORD,
        }
        env.pop("GLASSDOME_KDF_MEMORY_KIB", None)
        env.pop("GLASSDOME_KDF_ITERATIONS", None)
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import json,sys; from glassdome.core.secrets import SecretsManager;"
                "SecretsManager().set_many(json.load(sys.stdin))",
            ],
            input=__import__("json").dumps(values),
            text=True,
            env=env,
            check=True,
        )
        glassdome = str(SCRIPTS / "glassdome")
        vault_file = work / "vault.yml"
        password_file = work / "vault-pass"
        password_file.write_text(PASSWORD)
        plain = work / "plain.yml"
        plain.write_text("".join(f"{k}: {v}\n" for k, v in values.items()))
        ansible_vault = str(SCRIPTS / "ansible-vault")
        subprocess.run(
            [
                ansible_vault,
                "encrypt",
                str(plain),
                "--output",
                str(vault_file),
                "--vault-password-file",
                str(password_file),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        py = sys.executable
        timed = _interleaved(
            {
                "help": ([glassdome, "--help"], env),
                "list": ([glassdome, "secrets", "list"], env),
                "get": ([glassdome, "secrets", "get", "secret_050"], env),
                "vault": (
                    [
                        ansible_vault,
                        "view",
                        str(vault_file),
                        "--vault-password-file",
                        str(password_file),
                    ],
                    env,
                ),
                "pass": ([py, "-c", "pass"], env),
                "import pydantic_settings": ([py, "-c", "import pydantic_settings"], env),
                "import glassdome.core.config": ([py, "-c", "import glassdome.core.config"], env),
                # The derivation as a fresh process pays it (page faults of 64 MiB included),
                # measured in the same rounds as `get`.
                "argon2 import": ([py, "-c", _ARGON2], env),
                "argon2 derive": ([py, "-c", _ARGON2 + _DERIVE], env),
            }
        )
        derive = timed["argon2 derive"] - timed["argon2 import"]
        get_ms, vault_ms = timed["get"], timed["vault"]
        rows.append(("glassdome --help", timed["help"]))
        rows.append((f"glassdome secrets list ({N} secrets, file)", timed["list"]))
        rows.append((f"glassdome secrets get ({N} secrets, file)", get_ms))
        rows.append((f"ansible-vault view ({N} values, PBKDF2)", vault_ms))
        import_ms = {
            label: timed[label] - timed["pass"]
            for label in ("import pydantic_settings", "import glassdome.core.config")
        }

        keyring_ms: float | None = None
        try:
            from tests.secret_service import KEYRING_BACKEND, secret_service

            with secret_service(work / "secret-service") as bus_env:
                kenv = {**env, **bus_env, "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND}
                kenv["GLASSDOME_SECRETS_BACKEND"] = "keyring"
                subprocess.run(
                    [glassdome, "secrets", "set", "secret_050"],
                    input="value",
                    text=True,
                    env=kenv,
                    check=True,
                    capture_output=True,
                )
                keyring_ms = _time(
                    [str(SCRIPTS / "keyring"), "get", "glassdome", "secret_050"], kenv
                )
                rows.append(("keyring get (Secret Service)", keyring_ms))
                rows.append(
                    (
                        "glassdome secrets get (Secret Service)",
                        _time([glassdome, "secrets", "get", "secret_050"], kenv),
                    )
                )
        except Exception as exc:  # noqa: BLE001 - the keyring rows are optional
            console.print(f"[yellow]keyring rows skipped: {exc}[/]")

    in_process = derive_ms(PASSWORD)
    table = Table(title=f"median of {RUNS} rounds (commands interleaved), whole processes")
    table.add_column("command")
    table.add_column("ms", justify="right")
    for label, ms in rows:
        table.add_row(label, f"{ms:.0f}")
    for label, ms in import_ms.items():
        table.add_row(f"{label} (beyond a bare interpreter)", f"{ms:.0f}")
    table.add_row("one Argon2id derivation (64 MiB, t=3, p=4), fresh process", f"{derive:.0f}")
    table.add_row("one Argon2id derivation, in a warm process", f"{in_process:.0f}")
    table.add_row("bare interpreter (python -c pass)", f"{timed['pass']:.0f}")
    console.print(table)
    ratio_config = import_ms["import glassdome.core.config"] / import_ms["import pydantic_settings"]
    console.print(
        f"get / ansible-vault view = {get_ms / vault_ms:.2f}  (target <= 0.9)\n"
        f"get beyond one derivation = {get_ms - derive:.0f} ms  (target <= 120)\n"
        f"config import / pydantic_settings import = {ratio_config:.2f}  (target <= 1.2)"
    )


if __name__ == "__main__":
    main()
