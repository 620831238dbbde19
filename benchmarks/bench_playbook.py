#!/usr/bin/env python3
"""Playbook engine overhead against ansible-playbook: start-up, cost per step, unlocks, writes.

Run by hand: ``pip install -e '.[bench]' && python benchmarks/bench_playbook.py``. Prints a
table of median wall times of whole processes, then the targets; asserts nothing.

Both tools run the same work, generated in a temp folder from one answers file:
200 steps cycling secret.set / config.set / assert for glassdome, and 200 copy /
copy / set_fact tasks for ``ansible-playbook -i localhost, -c local`` (Ansible's
fastest local setup: no fact gathering, pipelining on, the interpreter given).
The glassdome store is the encrypted file with the default KDF, so every run
that touches a secret pays one real Argon2id derivation (its own row). Every
tool runs from the interpreter's own scripts folder (no shell shims).

The tools take turns, round by round, so both meet the same background load. A
200-task Ansible run takes minutes: ``--ansible-runs`` sets the rounds of the
200-step comparison (default 3; each times one first and one second Ansible run
and about ``runs / rounds`` of each for glassdome), ``--runs`` the rounds of the
start-up comparison (default 7).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.support import compile_package, derive_ms  # noqa: E402
from glassdome.primitives import crypto  # noqa: E402
from glassdome.primitives.sensitive import Sensitive  # noqa: E402

SCRIPTS = Path(sysconfig.get_path("scripts"))
PASSWORD = "benchmark master password"
STEPS = 200
ANSWERS = {"token": "tok-3f9a1c2e7b", "host": "db.lab.example", "svc_port": 5432}
THAT = "inputs.svc_port > 0 and inputs.host != ''"


# -- the playbooks -----------------------------------------------------------


def _glassdome_playbook(kind: str) -> str:
    """``empty`` (one message step), ``asserts`` (pure steps only) or ``mixed``."""
    head = [
        f"name: bench-{kind}",
        "inputs:",
        "  - {name: token, type: secret}",
        "  - {name: host, type: host}",
        "  - {name: svc_port, type: port}",
        "steps:",
    ]
    if kind == "empty":
        return "name: bench-empty\nsteps:\n  - {id: hello, uses: message, with: {text: hello}}\n"
    lines = list(head)
    for i in range(STEPS):
        if kind == "asserts" or i % 3 == 2:
            lines.append(f'  - {{id: a{i}, uses: assert, with: {{that: "{THAT}"}}}}')
        elif i % 3 == 0:
            lines.append(
                f"  - {{id: s{i}, uses: secret.set, "
                f'with: {{name: secret_{i}, value: "{{{{ inputs.token }}}}-{i}"}}}}'
            )
        else:
            lines.append(
                f"  - {{id: c{i}, uses: config.set, "
                f'with: {{values: {{KEY_{i}: "{{{{ inputs.host }}}}:{i}"}}}}}}'
            )
    return "\n".join(lines) + "\n"


def _ansible_playbook(kind: str) -> str:
    """The same work as `_glassdome_playbook`: copy for secret.set and config.set, set_fact
    for assert (a copy per .env key: lineinfile would be closer, at the same module cost)."""
    lines = [
        "- hosts: localhost",
        "  connection: local",
        "  gather_facts: false",
        "  tasks:" + (" []" if kind == "empty" else ""),
    ]
    if kind == "empty":
        return "\n".join(lines) + "\n"
    fact = "{{ (svc_port | int) > 0 and host != '' }}"
    for i in range(STEPS):
        if kind == "asserts" or i % 3 == 2:
            lines += [
                f"    - name: a{i}",
                "      ansible.builtin.set_fact:",
                f'        ok_{i}: "{fact}"',
            ]
        elif i % 3 == 0:
            lines += [
                f"    - name: s{i}",
                "      no_log: true",
                "      ansible.builtin.copy:",
                f'        dest: "{{{{ out }}}}/secret_{i}"',
                f'        content: "{{{{ token }}}}-{i}"',
                "        mode: '0600'",
            ]
        else:
            lines += [
                f"    - name: c{i}",
                "      ansible.builtin.copy:",
                f'        dest: "{{{{ out }}}}/KEY_{i}"',
                f'        content: "{{{{ host }}}}:{i}"',
                "        mode: '0644'",
            ]
    return "\n".join(lines) + "\n"


# -- timing ------------------------------------------------------------------


def _run(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, env=dict(env), cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done


@dataclass(frozen=True)
class _Command:
    """One timed command: *prepare* (untimed) runs before each sample."""

    label: str
    argv: Sequence[str]
    env: Mapping[str, str]
    prepare: Callable[[], None] | None = None
    repeat: int = 1


def _sample(command: _Command, cwd: Path) -> float:
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


def _interleaved(commands: Sequence[_Command], rounds: int, cwd: Path) -> dict[str, float]:
    """Median ms per label over *rounds* rounds, each running every command in turn, so
    both tools meet the same background load."""
    samples: dict[str, list[float]] = {command.label: [] for command in commands}
    for _ in range(rounds):
        for command in commands:
            for _ in range(command.repeat):
                samples[command.label].append(_sample(command, cwd))
    return {label: statistics.median(values) * 1000 for label, values in samples.items()}


def _step_medians(json_lines: str) -> dict[str, float]:
    """Median in-engine duration (ms) per step type, from ``--json`` step events."""
    durations: dict[str, list[float]] = {}
    for line in json_lines.splitlines():
        event = json.loads(line)
        if event["event"] == "step":
            durations.setdefault(event["uses"], []).append(event["duration"] * 1000)
    return {uses: statistics.median(values) for uses, values in durations.items()}


def _load_ms(path: Path, runs: int) -> float:
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


def _count_run(playbook: Path, answers: Path, env: Mapping[str, str]) -> dict[str, int]:
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


def _generation(home: Path) -> int:
    """The store document's generation counter: one more per write of secrets.encrypted."""
    from glassdome.backends.encrypted_file import KEY_FILE, STORE_FILE

    key_file = crypto.parse_key_file((home / KEY_FILE).read_bytes(), KEY_FILE)
    key = crypto.unlock_key_file(key_file, Sensitive(PASSWORD))
    raw = (home / STORE_FILE).read_bytes()
    return crypto.decrypt_document(key, raw, STORE_FILE).generation


# -- the benchmark -----------------------------------------------------------


def main() -> None:  # noqa: C901 - one straight script: measure each row, then print the table
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds of the start-up timing")
    parser.add_argument("--ansible-runs", type=int, default=3, help="rounds of 200-step timing")
    options = parser.parse_args()
    compile_package()
    console = Console()
    glassdome = str(SCRIPTS / "glassdome")
    ansible_playbook = str(SCRIPTS / "ansible-playbook")
    if not Path(ansible_playbook).exists():
        raise SystemExit(f"{ansible_playbook} not found: pip install -e '.[bench]'")
    mixed_secrets = sum(1 for i in range(STEPS) if i % 3 == 0)
    mixed_configs = sum(1 for i in range(STEPS) if i % 3 == 1)

    with tempfile.TemporaryDirectory(prefix="bench-playbook-") as tmp:
        work = Path(tmp)
        for kind in ("empty", "asserts", "mixed"):
            (work / f"{kind}.yml").write_text(_glassdome_playbook(kind))
            (work / f"ansible-{kind}.yml").write_text(_ansible_playbook(kind))
        answers = work / "answers.yml"
        answers.write_text("".join(f"{k}: {v}\n" for k, v in ANSWERS.items()))
        ansible_vars = work / "ansible-vars.yml"
        out = work / "ansible-out"
        ansible_vars.write_text(answers.read_text() + f"out: {out}\n")

        home, seed, env_file = work / "home", work / "home-seed", work / "settings.env"
        genv = {
            **os.environ,
            "PATH": f"{SCRIPTS}{os.pathsep}{os.environ.get('PATH', '')}",
            "GLASSDOME_HOME": str(home),
            "GLASSDOME_SECRETS_BACKEND": "file",
            "GLASSDOME_MASTER_PASSWORD": PASSWORD,
            "GLASSDOME_ENV_FILE": str(env_file),
        }
        for name in ("GLASSDOME_KDF_MEMORY_KIB", "GLASSDOME_KDF_ITERATIONS", "GLASSDOME_DEBUG"):
            genv.pop(name, None)
        # A store that already exists (one unrelated secret, default KDF): each first run
        # starts from a copy of it, so it unlocks an existing store as a real run would.
        from glassdome.core.secrets import SecretsManager

        SecretsManager(home=seed, backend="file", env=genv).set_secret("unrelated", "x" * 24)

        def fresh_glassdome() -> None:
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(seed, home)
            env_file.unlink(missing_ok=True)

        (work / "ansible-home").mkdir()
        (work / "ansible-tmp").mkdir()
        aenv = {
            **genv,
            "HOME": str(work / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(work / "ansible-tmp"),
            "ANSIBLE_REMOTE_TEMP": str(work / "ansible-tmp"),
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_NOCOWS": "True",
            "ANSIBLE_PIPELINING": "True",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_DEPRECATION_WARNINGS": "False",
        }

        def fresh_ansible() -> None:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()

        def play(kind: str, *extra: str) -> list[str]:
            args = [] if kind == "empty" else ["--answers", str(answers)]
            return [glassdome, "play", str(work / f"{kind}.yml"), *args, "--no-input", *extra]

        def ansible(kind: str) -> list[str]:
            args = [] if kind == "empty" else ["-e", f"@{ansible_vars}"]
            return [ansible_playbook, "-i", "localhost,", "-c", "local", *args,
                    str(work / f"ansible-{kind}.yml")]  # fmt: skip

        runs, slow = options.runs, options.ansible_runs
        console.print(f"[dim]timing in {work} ({runs} runs, {slow} for 200-task Ansible)...[/]")
        # Warm-up: byte-code caches and the page cache, for both tools.
        fresh_glassdome()
        _run(play("empty"), genv, work)
        _run(play("asserts"), genv, work)
        fresh_ansible()
        _run(ansible("empty"), aenv, work)

        quick = _interleaved(
            [
                _Command("g_empty", play("empty"), genv),
                _Command("a_empty", ansible("empty"), aenv),
                _Command("python", [sys.executable, "-c", "pass"], genv),
            ],
            runs,
            work,
        )
        pure = _interleaved(
            [
                _Command("g_asserts", play("asserts"), genv),
                _Command("a_facts", ansible("asserts"), aenv),
            ],
            max(3, runs // 2),
            work,
        )
        # Per round: glassdome's first runs (each from the seeded store), its second runs
        # (on what the last first run left), then Ansible's first and second run.
        per_round = -(-runs // slow)
        console.print(f"[dim]200 mixed steps: {slow} rounds of {per_round} + 1 runs...[/]")
        mixed = _interleaved(
            [
                _Command("g_first", play("mixed"), genv, fresh_glassdome, per_round),
                _Command("g_second", play("mixed"), genv, None, per_round),
                _Command("a_first", ansible("mixed"), aenv, fresh_ansible),
                _Command("a_second", ansible("mixed"), aenv),
            ],
            slow,
            work,
        )
        g_empty, a_empty = quick["g_empty"], quick["a_empty"]
        g_asserts, a_facts = pure["g_asserts"], pure["a_facts"]
        g_first, g_second = mixed["g_first"], mixed["g_second"]
        a_first, a_second = mixed["a_first"], mixed["a_second"]

        # Writes seen by the real CLI: the store document's generation counter.
        fresh_glassdome()
        _run(play("mixed"), genv, work)
        generation_first = _generation(home) - _generation(seed)
        before = _generation(home)
        _run(play("mixed"), genv, work)
        generation_second = _generation(home) - before

        fresh_glassdome()
        steps_first = _step_medians(_run(play("mixed", "--json"), genv, work).stdout)
        steps_second = _step_medians(_run(play("mixed", "--json"), genv, work).stdout)
        steps_asserts = _step_medians(_run(play("asserts", "--json"), genv, work).stdout)
        load_asserts = _load_ms(work / "asserts.yml", runs)
        load_mixed = _load_ms(work / "mixed.yml", runs)

        fresh_glassdome()
        count_first = _count_run(work / "mixed.yml", answers, genv)
        count_second = _count_run(work / "mixed.yml", answers, genv)

    derive = derive_ms(PASSWORD)

    def pairs(g_total: float, a_total: float) -> tuple[float, float]:
        """Cost per step of each tool: (total - empty) / STEPS."""
        return (g_total - g_empty) / STEPS, (a_total - a_empty) / STEPS

    table = Table(title="glassdome play vs ansible-playbook (median wall time, whole processes)")
    table.add_column("measurement")
    table.add_column("glassdome", justify="right")
    table.add_column("ansible", justify="right")
    table.add_column("g/a", justify="right")

    def row(label: str, g: float, a: float, digits: int = 0) -> None:
        table.add_row(label, f"{g:.{digits}f} ms", f"{a:.{digits}f} ms", f"{g / a:.2f}")

    def extra(label: str, text: str) -> None:
        table.add_row(label, text, "", "")

    row("start-up: empty playbook / empty play", g_empty, a_empty)
    row(f"{STEPS} assert / {STEPS} set_fact", g_asserts, a_facts)
    row(f"  per pure step: (that - empty) / {STEPS}", *pairs(g_asserts, a_facts), digits=2)
    row(f"{STEPS} mixed, first run (all change)", g_first, a_first)
    row("  per step", *pairs(g_first, a_first), digits=2)
    row(f"{STEPS} mixed, second run (all ok)", g_second, a_second)
    row("  per step", *pairs(g_second, a_second), digits=2)
    table.add_section()
    extra("bare interpreter (python -c pass), both pay it", f"{quick['python']:.0f} ms")
    extra("Argon2id derivation (64 MiB, t=3, p=4)", f"{derive:.0f} ms")
    extra("load + validate, 200 asserts", f"{load_asserts:.0f} ms")
    extra("load + validate, 200 mixed", f"{load_mixed:.0f} ms")
    extra("in-engine assert (assert-only run)", f"{steps_asserts['assert']:.2f} ms")
    for uses in ("assert", "secret.set", "config.set"):
        extra(
            f"in-engine {uses}, 1st / 2nd run",
            f"{steps_first[uses]:.2f} / {steps_second[uses]:.2f} ms",
        )
    table.add_section()
    extra(
        "Argon2 derivations (unlocks), 1st / 2nd",
        " / ".join(
            f"{c['derivations']} ({c['unlock_count']})" for c in (count_first, count_second)
        ),
    )
    extra(
        f"store writes, 1st ({mixed_secrets} changed) / 2nd",
        f"{count_first['store']} / {count_second['store']}",
    )
    extra("  same, from store generations (CLI)", f"{generation_first} / {generation_second}")
    extra(
        f".env writes, 1st ({mixed_configs} changed) / 2nd",
        f"{count_first['env']} / {count_second['env']}",
    )
    console.print(table)

    pure, fact = pairs(g_asserts, a_facts)
    startup = g_empty / a_empty
    first_ok = count_first["store"] <= mixed_secrets and generation_first <= mixed_secrets
    unlock_ok = all(c["derivations"] == 1 for c in (count_first, count_second))

    def verdict(met: bool) -> str:
        return "[green]met[/]" if met else "[red]NOT MET[/]"

    console.print(
        f"pure step {pure:.2f} ms (target <= 1; set_fact {fact:.1f} ms): {verdict(pure <= 1)}\n"
        f"start-up {g_empty:.0f} ms = {startup:.2f} x Ansible's {a_empty:.0f} ms "
        f"(target < 0.33): {verdict(startup < 1 / 3)}\n"
        f"derivations per run {count_first['derivations']}, {count_second['derivations']} "
        f"(target 1): {verdict(unlock_ok)}\n"
        f"store writes {count_first['store']} for {mixed_secrets} changed secret.set "
        f"(target <= {mixed_secrets}), then {count_second['store']} (target 0): "
        f"{verdict(first_ok and count_second['store'] == 0)}"
    )


if __name__ == "__main__":
    main()
