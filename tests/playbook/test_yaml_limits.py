"""Hostile YAML: alias bombs, recursive aliases, deep nesting and huge files are refused early.

A few hundred bytes of nested aliases expand to millions of nodes, and ``x: &x [*x]``
never ends; both must be one ``file:line:column`` problem (exit 2) from `playbook
validate`, `play` and `play --answers`, in bounded time (the subprocess timeout) and
bounded memory (the child's address space is capped).
"""

from __future__ import annotations

import itertools
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from glassdome.playbook.loader import load_playbook
from glassdome.playbook.yamlfile import MAX_BYTES, MAX_DEPTH, PlaybookInvalid, read_yaml
from tests.playbook.support import PlaybookCli

MEMORY_CAP = 500 * 1024 * 1024
VALID = "name: limits\nsteps:\n  - {id: hello, uses: message, with: {text: hi}}\n"


def _bomb(levels: int = 9) -> str:
    """Billion laughs: each level is ten aliases of the one before (10**9 leaves)."""
    names = "abcdefghij"[: levels + 1]
    lines = [f"{names[0]}: &{names[0]} [x,x,x,x,x,x,x,x,x,x]"]
    for before, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{before}"] * 10) + "]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "bomb": _bomb(),
    "recursive": "x: &x [*x]\n",
    "recursive-mapping": "x: &x {y: *x}\n",
    "deep": "[" * (MAX_DEPTH + 50) + "]" * (MAX_DEPTH + 50) + "\n",
}


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _run(cli: PlaybookCli, *args: str) -> tuple[int, str, str]:
    """``python -m glassdome ARGS`` with its address space capped; ends within the timeout."""
    completed = subprocess.run(
        [sys.executable, "-m", "glassdome", *args],
        cwd=cli.cwd,
        env=cli.env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        check=False,
        preexec_fn=_cap_memory,
    )
    return completed.returncode, completed.stdout.decode(), completed.stderr.decode()


def _one_positioned_problem(path: Path, code: int, out: str, err: str) -> str:
    report = f"exit {code}\n--- stdout\n{out}--- stderr\n{err}"
    assert code == 2, report
    assert "Traceback" not in out + err, report
    lines = err.strip().splitlines()
    assert len(lines) == 1, report
    assert re.fullmatch(rf"(glassdome: error: )?{re.escape(str(path))}:\d+:\d+: .+", lines[0]), (
        report
    )
    return lines[0]


def test_the_bomb_fits_in_a_few_hundred_bytes():
    assert len(_bomb().encode()) < 500


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_playbook_is_one_positioned_problem_from_validate(cli: PlaybookCli, case: str):
    path = cli.write("hostile.yml", HOSTILE[case])
    _one_positioned_problem(path, *_run(cli, "playbook", "validate", str(path)))


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_playbook_is_one_positioned_problem_from_play(cli: PlaybookCli, case: str):
    path = cli.write("hostile.yml", HOSTILE[case])
    _one_positioned_problem(path, *_run(cli, "play", str(path), "--json", "--no-input"))


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_answers_file_is_one_positioned_problem_from_play(cli: PlaybookCli, case: str):
    playbook = cli.write("playbook.yml", VALID)
    answers = cli.write("answers.yml", HOSTILE[case])
    found = _run(cli, "play", str(playbook), "--json", "--no-input", "--answers", str(answers))
    _one_positioned_problem(answers, *found)


def test_where_the_bomb_and_the_recursive_alias_are_placed(cli: PlaybookCli):
    bomb = cli.write("bomb.yml", _bomb())
    line = _one_positioned_problem(bomb, *_run(cli, "playbook", "validate", str(bomb)))
    assert line.startswith(f"{bomb}:5:"), line  # e: 111,111 nodes is the first over 100,000
    assert "aliases are expanded" in line
    recursive = cli.write("recursive.yml", "x: &x [*x]\n")
    line = _one_positioned_problem(recursive, *_run(cli, "playbook", "validate", str(recursive)))
    assert line == f"{recursive}:1:8: the alias *x refers to a node that contains it"


@pytest.mark.parametrize("what", ["playbook", "answers"])
def test_a_file_over_the_size_limit_is_refused_unparsed(cli: PlaybookCli, what: str):
    big = "# padding\n" * (MAX_BYTES // 10 + 1) + VALID
    if what == "playbook":
        path = cli.write("big.yml", big)
        found = _run(cli, "playbook", "validate", str(path))
    else:
        playbook = cli.write("playbook.yml", VALID)
        path = cli.write("answers.yml", big)
        found = _run(cli, "play", str(playbook), "--json", "--no-input", "--answers", str(path))
    line = _one_positioned_problem(path, *found)
    assert "larger than 1 MiB" in line


def test_a_file_at_the_size_limit_is_read(tmp_path: Path):
    path = tmp_path / "playbook.yml"
    path.write_bytes(VALID.encode() + b"#" * (MAX_BYTES - len(VALID.encode())))
    assert read_yaml(path).data["name"] == "limits"


def test_aliases_within_the_limits_still_work(tmp_path: Path):
    path = tmp_path / "playbook.yml"
    path.write_text(_bomb(levels=3) + "y: &y {k: v}\nz: [*y, *y]\n")
    data = read_yaml(path).data
    assert len(data["d"]) == 10
    assert data["d"][0][0][0] == ["x"] * 10
    assert data["z"] == [{"k": "v"}, {"k": "v"}]


YAMLISH = "abxyz019 -:#&*!|>[]{},'\"?%@`.~\n\t"


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(alphabet=YAMLISH, max_size=200).map(str.encode),
        st.lists(
            st.sampled_from(
                [
                    "name: p\n",
                    "steps:\n",
                    "  - id: a\n",
                    "    uses: message\n",
                    "    with: {text: hi}\n",
                    "&a ",
                    "*a ",
                    "x: &a [*a]\n",
                    "<<: *a\n",
                    "[",
                    "]",
                    "{",
                    "}",
                    "- ",
                    "!!str ",
                    "? ",
                    "'",
                    '"',
                    "\t",
                    "\x00",
                    "\ufeff",
                ]
            ),
            max_size=30,
        ).map(lambda parts: "".join(parts).encode()),
    )
)
@example(b"&![&!]")  # a reused anchor: ruamel warns, then composes the later one
@example(b"a: &x 1\nb: &x 2\n")
def test_any_yamlish_bytes_are_a_playbook_or_positioned_problems(raw: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "playbook.yml"
        path.write_bytes(raw)
        problems: list[str] = []
        try:
            load_playbook(path)
        except PlaybookInvalid as exc:
            problems = exc.problems or ["(no problem listed)"]
        for problem in problems:
            assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", problem), problem
