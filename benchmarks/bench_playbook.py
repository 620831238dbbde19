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
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.playbook_cases import (  # noqa: E402
    ANSWERS,
    STEPS,
    ansible_playbook_text,
    glassdome_playbook_text,
)
from benchmarks.playbook_timing import (  # noqa: E402
    Command,
    count_run,
    generation,
    interleaved,
    load_ms,
    run,
    step_medians,
)
from benchmarks.support import compile_package, derive_ms  # noqa: E402

SCRIPTS = Path(sysconfig.get_path("scripts"))
PASSWORD = "benchmark master password"


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
            (work / f"{kind}.yml").write_text(glassdome_playbook_text(kind))
            (work / f"ansible-{kind}.yml").write_text(ansible_playbook_text(kind))
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
        run(play("empty"), genv, work)
        run(play("asserts"), genv, work)
        fresh_ansible()
        run(ansible("empty"), aenv, work)

        quick = interleaved(
            [
                Command("g_empty", play("empty"), genv),
                Command("a_empty", ansible("empty"), aenv),
                Command("python", [sys.executable, "-c", "pass"], genv),
            ],
            runs,
            work,
        )
        pure = interleaved(
            [
                Command("g_asserts", play("asserts"), genv),
                Command("a_facts", ansible("asserts"), aenv),
            ],
            max(3, runs // 2),
            work,
        )
        # Per round: glassdome's first runs (each from the seeded store), its second runs
        # (on what the last first run left), then Ansible's first and second run.
        per_round = -(-runs // slow)
        console.print(f"[dim]200 mixed steps: {slow} rounds of {per_round} + 1 runs...[/]")
        mixed = interleaved(
            [
                Command("g_first", play("mixed"), genv, fresh_glassdome, per_round),
                Command("g_second", play("mixed"), genv, None, per_round),
                Command("a_first", ansible("mixed"), aenv, fresh_ansible),
                Command("a_second", ansible("mixed"), aenv),
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
        run(play("mixed"), genv, work)
        generation_first = generation(home, PASSWORD) - generation(seed, PASSWORD)
        before = generation(home, PASSWORD)
        run(play("mixed"), genv, work)
        generation_second = generation(home, PASSWORD) - before

        fresh_glassdome()
        steps_first = step_medians(run(play("mixed", "--json"), genv, work).stdout)
        steps_second = step_medians(run(play("mixed", "--json"), genv, work).stdout)
        steps_asserts = step_medians(run(play("asserts", "--json"), genv, work).stdout)
        load_asserts = load_ms(work / "asserts.yml", runs)
        load_mixed = load_ms(work / "mixed.yml", runs)

        fresh_glassdome()
        count_first = count_run(work / "mixed.yml", answers, genv)
        count_second = count_run(work / "mixed.yml", answers, genv)

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
