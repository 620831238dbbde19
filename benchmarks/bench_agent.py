#!/usr/bin/env python3
"""`glassdome secrets get` served by the unlock agent, against the same without it and others.

Run by hand: ``pip install -e '.[bench]' && python benchmarks/bench_agent.py``. Prints a
table of median wall times of whole commands, run round by round (interleaved) so all
meet the same load, and the ratios the agent aims for; asserts nothing.
"""

from __future__ import annotations

import json
import os
import shutil
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

from benchmarks.support import Cases, compile_package, interleaved  # noqa: E402

SCRIPTS = Path(sysconfig.get_path("scripts"))
PASSWORD = "benchmark master password"
RUNS = 21
N = 100
# A play run in a process that counts Argon2id derivations (printed on stderr).
COUNTING_PLAY = """
import sys
import glassdome.primitives.crypto as crypto
derive, count = crypto._derive_kek, [0]
def counted(*args):
    count[0] += 1
    return derive(*args)
crypto._derive_kek = counted
from glassdome.cli import main
code = main(["play", sys.argv[1]])
print(f"derivations={count[0]}", file=sys.stderr)
sys.exit(code)
"""


def _interleaved(cases: Cases) -> dict[str, float]:
    return interleaved(cases, RUNS)


def _run(argv: Sequence[str], env: Mapping[str, str], stdin: str = "") -> str:
    done = subprocess.run(
        argv, input=stdin, text=True, env=dict(env), capture_output=True, check=True, timeout=120
    )
    return done.stderr


def _playbook(folder: Path) -> Path:
    steps = []
    for n in range(10):
        steps.append(f"  - {{id: s{n}, uses: secret.set, with: {{name: p_{n}, value: 'v-{n}'}}}}")
        steps.append(
            f"  - {{id: a{n}, uses: assert, with: {{that: \"secret('p_{n}') == 'v-{n}'\"}}}}"
        )
    path = folder / "twenty.yml"
    path.write_text("name: twenty secret steps\nsteps:\n" + "\n".join(steps) + "\n")
    return path


def _pass_store(work: Path, env: dict[str, str]) -> dict[str, str]:
    """A throwaway pass store (its own GnuPG home, a key without passphrase) holding one value."""
    gnupg = work / "gnupg"
    gnupg.mkdir(mode=0o700)
    pass_env = {**env, "GNUPGHOME": str(gnupg), "PASSWORD_STORE_DIR": str(work / "pass")}
    gpg = ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "bench@glassdome.invalid"]
    _run([*gpg, "default", "default", "never"], pass_env)
    _run(["pass", "init", "bench@glassdome.invalid"], pass_env)
    _run(["pass", "insert", "-m", "glassdome/secret_050"], pass_env, "value-050\n")
    return pass_env


def _file_store(work: Path, env: dict[str, str], rows: list[tuple[str, float]]) -> dict[str, float]:
    glassdome, py = str(SCRIPTS / "glassdome"), sys.executable
    values = {f"secret_{i:03d}": f"value-{i:03d}-" + "x" * 40 for i in range(N)}
    store = "import json,sys; from glassdome.core.secrets import SecretsManager; "
    setup_env = {**env, "GLASSDOME_MASTER_PASSWORD": PASSWORD}
    _run(
        [py, "-c", store + "SecretsManager().set_many(json.load(sys.stdin))"],
        setup_env,
        json.dumps(values),
    )
    password_file = work / "password"
    password_file.write_text(PASSWORD)
    plain, vault = work / "plain.yml", work / "vault.yml"
    plain.write_text("".join(f"{k}: {v}\n" for k, v in values.items()))
    derive_env = {
        **env,
        "GLASSDOME_MASTER_PASSWORD_FILE": str(password_file),
        "GLASSDOME_AGENT": "off",
    }
    _run([glassdome, "unlock"], {**env, "GLASSDOME_MASTER_PASSWORD_FILE": str(password_file)})
    cases: dict[str, tuple[Sequence[str], Mapping[str, str]]] = {
        "pass": ([py, "-c", "pass"], env),
        "agent": ([glassdome, "secrets", "get", "secret_050"], env),
        "derive": ([glassdome, "secrets", "get", "secret_050"], derive_env),
    }
    vault_tool = SCRIPTS / "ansible-vault"
    if vault_tool.exists():
        pw = ["--vault-password-file", str(password_file)]
        _run([str(vault_tool), "encrypt", str(plain), "--output", str(vault), *pw], env)
        cases["vault"] = ([str(vault_tool), "view", str(vault), *pw], env)
    if shutil.which("pass") and shutil.which("gpg"):
        cases["pass show"] = (["pass", "show", "glassdome/secret_050"], _pass_store(work, env))
    try:
        timed = _interleaved(cases)
    finally:
        if "pass show" in cases:  # the gpg-agent that GnuPG started for the throwaway home
            _run(["gpgconf", "--kill", "all"], cases["pass show"][1])
    rows.append(("python -c pass", timed["pass"]))
    rows.append((f"glassdome secrets get, agent unlocked ({N} secrets, file)", timed["agent"]))
    rows.append((f"glassdome secrets get, no agent (password file, {N} secrets)", timed["derive"]))
    if "vault" in timed:
        rows.append((f"ansible-vault view ({N} values)", timed["vault"]))
    if "pass show" in timed:
        rows.append(("pass show", timed["pass show"]))
    playbook = _playbook(work)
    for label, play_env in (("agent", env), ("no agent", derive_env)):
        start = time.perf_counter()
        said = _run([py, "-c", COUNTING_PLAY, str(playbook)], play_env)
        ms = (time.perf_counter() - start) * 1000
        count = said.rsplit("derivations=", 1)[1].split()[0]
        rows.append(
            (f"glassdome play, 10 secret.set + 10 assert, {label}: {count} derivations", ms)
        )
    _run([glassdome, "agent", "stop"], env)
    return timed


def _keyring(work: Path, env: dict[str, str], rows: list[tuple[str, float]]) -> dict[str, float]:
    from tests.secret_service import KEYRING_BACKEND, secret_service

    glassdome = str(SCRIPTS / "glassdome")
    with secret_service(work / "secret-service") as bus:
        kenv = {**env, **bus, "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND}
        kenv["GLASSDOME_SECRETS_BACKEND"] = "keyring"
        _run([glassdome, "secrets", "set", "secret_050"], kenv, "value")
        _run([glassdome, "unlock"], kenv)
        try:
            timed = _interleaved(
                {
                    "keyring get": (
                        [str(SCRIPTS / "keyring"), "get", "glassdome", "secret_050"],
                        kenv,
                    ),
                    "agent": ([glassdome, "secrets", "get", "secret_050"], kenv),
                    "direct": (
                        [glassdome, "secrets", "get", "secret_050"],
                        {**kenv, "GLASSDOME_AGENT": "off"},
                    ),
                }
            )
        finally:
            _run([glassdome, "agent", "stop"], kenv)
    rows.append(("keyring get (Secret Service)", timed["keyring get"]))
    rows.append(("glassdome secrets get, keyring, agent unlocked", timed["agent"]))
    rows.append(("glassdome secrets get, keyring, no agent", timed["direct"]))
    return timed


def main() -> None:
    compile_package()
    console = Console()
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        runtime = work / "run"
        runtime.mkdir(mode=0o700)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GLASSDOME_")}
        env.update(
            GLASSDOME_HOME=str(work / "home"),
            GLASSDOME_SECRETS_BACKEND="file",
            GLASSDOME_NO_INPUT="1",
            XDG_RUNTIME_DIR=str(runtime),
        )
        files = _file_store(work, env, rows)
        keyring: dict[str, float] | None = None
        try:
            keyring = _keyring(work, env, rows)
        except Exception as exc:  # noqa: BLE001 - the keyring rows are optional
            console.print(f"[yellow]keyring rows skipped: {exc}[/]")
    table = Table(title=f"median of {RUNS} rounds (commands interleaved), whole processes")
    table.add_column("command")
    table.add_column("ms", justify="right")
    for label, ms in rows:
        table.add_row(label, f"{ms:.1f}")
    console.print(table)
    if "vault" in files:
        console.print(
            f"get with agent / ansible-vault view = {files['agent'] / files['vault']:.3f}"
            "  (target <= 0.15)"
        )
    console.print(
        f"get with agent / python -c pass = {files['agent'] / files['pass']:.2f}  (target <= 3)"
    )
    if keyring is not None:
        ratio = keyring["agent"] / keyring["keyring get"]
        console.print(f"keyring: get with agent / keyring get = {ratio:.2f}  (target <= 0.3)")


if __name__ == "__main__":
    main()
