"""A huge store file or a huge piped value is refused without reading it into memory.

Each run goes through the real CLI in a child of a small wrapper process, which reports
the child's peak resident memory (``RUSAGE_CHILDREN`` covers only the wrapper's children).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from glassdome.backends.encrypted_file import STORE_FILE
from tests.cli.runner import Cli, Result, one_error_line

MB = 1024 * 1024
MEMORY_BOUND_KIB = 200 * 1024  # ru_maxrss is in KiB on Linux
_WRAPPER = """
import json, resource, subprocess, sys
argv, stdin = json.loads(sys.argv[1]), sys.argv[2]
with open(stdin, "rb") as source:
    done = subprocess.run(argv, stdin=source, capture_output=True)
print(json.dumps({
    "code": done.returncode,
    "out": done.stdout.decode("utf-8", "replace"),
    "err": done.stderr.decode("utf-8", "replace"),
    "maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def run_measured(cli: Cli, args: list[str], stdin: Path) -> tuple[Result, int]:
    """Run ``glassdome ARGS`` with *stdin*; return its result and peak memory in KiB."""
    argv = [sys.executable, "-m", "glassdome", *args]
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, json.dumps(argv), str(stdin)],
        cwd=cli.cwd,
        env=cli.env(),
        capture_output=True,
        timeout=120,
        check=True,
    )
    report = json.loads(done.stdout)
    return Result(tuple(argv), report["code"], report["out"], report["err"]), report["maxrss"]


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as file:
        file.truncate(size)
    return path


def test_a_300_mb_store_is_refused_in_bounded_memory(cli: Cli, tmp_path: Path) -> None:
    cli.set("x", "value")
    sparse(cli.home / STORE_FILE, 300 * MB)
    result, maxrss = run_measured(cli, ["secrets", "get", "x"], Path("/dev/null"))
    assert maxrss < MEMORY_BOUND_KIB, maxrss
    assert result.code == 1, str(result)
    line = one_error_line(result)
    assert str(cli.home / STORE_FILE) in line
    assert "refusing to read it" in line


def test_200_mb_piped_into_secrets_set_is_refused_in_bounded_memory(
    cli: Cli, tmp_path: Path
) -> None:
    big = sparse(tmp_path / "big", 200 * MB)
    result, maxrss = run_measured(cli, ["secrets", "set", "x"], big)
    assert maxrss < MEMORY_BOUND_KIB, maxrss
    assert result.code == 1, str(result)
    line = one_error_line(result)
    assert "stdin" in line
    assert "65536" in line
    assert not (cli.home / STORE_FILE).exists()


def test_200_mb_from_file_is_refused_in_bounded_memory(cli: Cli, tmp_path: Path) -> None:
    big = sparse(tmp_path / "big", 200 * MB)
    result, maxrss = run_measured(
        cli, ["secrets", "set", "x", "--from-file", str(big)], Path("/dev/null")
    )
    assert maxrss < MEMORY_BOUND_KIB, maxrss
    assert result.code == 1, str(result)
    line = one_error_line(result)
    assert str(big) in line
    assert "65536" in line


def test_a_value_of_exactly_the_limit_with_a_newline_is_still_stored(cli: Cli) -> None:
    from glassdome.primitives.names import MAX_VALUE_BYTES

    value = "v" * MAX_VALUE_BYTES
    result = cli("secrets", "set", "x", input=value + "\r\n")
    assert result.code == 0, str(result)
    assert cli.get("x") == value
