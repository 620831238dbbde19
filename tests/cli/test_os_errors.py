"""Disk full, a symlinked lock, permission errors and runaway recursion end in one line.

Every command ends with exit 1 and a single ``glassdome: error:`` line naming the path
and the cause; only ``GLASSDOME_DEBUG=1`` adds a traceback.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from glassdome.backends.encrypted_file import KEY_FILE, LOCK_FILE, STORE_FILE
from glassdome.boundary import guarded
from tests.cli.runner import Cli, Result, one_error_line
from tests.conftest import REPO, in_ci

# Root ignores file modes; without these capabilities it is held to the owner's bits.
NO_DAC_OVERRIDE = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search,-fowner",
    "--inh-caps=-dac_override,-dac_read_search,-fowner",
]


def unavailable(message: str) -> None:
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, filled up; yields the mount point."""
    if os.geteuid() != 0:
        unavailable("mounting a tmpfs needs root")
    mount_tool, umount_tool = shutil.which("mount"), shutil.which("umount")
    if mount_tool is None or umount_tool is None:
        unavailable("mount and umount are needed for a tiny tmpfs")
        return
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(
        [mount_tool, "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
        timeout=30,
    )
    if done.returncode != 0:
        unavailable(f"cannot mount a tmpfs: {done.stderr.decode(errors='replace').strip()}")
    try:
        (mount / "home").mkdir(mode=0o700)
        fd = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            with pytest.raises(OSError, match="No space left on device"):  # noqa: PT012
                while True:
                    os.write(fd, b"\0" * 4096)
        finally:
            os.close(fd)
        yield mount
    finally:
        subprocess.run([umount_tool, "-l", str(mount)], check=False, timeout=30)


def assert_debug_shows_traceback(result: Result) -> None:
    assert result.code == 1, str(result)
    assert "Traceback" in result.err, str(result)


def test_disk_full_names_the_file_and_the_cause(full_disk: Path, work: Path) -> None:
    cli = Cli(home=full_disk / "home", cwd=work)
    result = cli("secrets", "set", "x", input="value\n")
    assert result.code == 1, str(result)
    line = one_error_line(result)
    assert str(full_disk / "home") in line, line
    assert "No space left on device" in line, line
    assert "ENOSPC" in line
    assert_debug_shows_traceback(cli("secrets", "set", "x", input="v\n", GLASSDOME_DEBUG="1"))


def test_symlinked_lock_is_not_followed(cli: Cli, tmp_path: Path) -> None:
    cli.set("x", "value")
    target = tmp_path / "elsewhere"
    (cli.home / LOCK_FILE).unlink()
    (cli.home / LOCK_FILE).symlink_to(target)
    result = cli("secrets", "set", "y", input="other\n")
    assert result.code == 1, str(result)
    line = one_error_line(result)
    assert str(cli.home / LOCK_FILE) in line, line
    assert "symbolic link" in line, line
    assert not target.exists()
    assert_debug_shows_traceback(cli("secrets", "set", "y", input="o\n", GLASSDOME_DEBUG="1"))
    (cli.home / LOCK_FILE).unlink()
    assert cli.names() == ["x"]


def _glassdome(*args: str) -> list[str]:
    return [*NO_DAC_OVERRIDE, sys.executable, "-m", "glassdome", *args]


def _require_permission_checks(cli: Cli, probe: Path, mode: str = "r") -> None:
    if os.geteuid() != 0:
        return  # an ordinary user is held to file modes anyway
    code = f"open({str(probe)!r}, {mode!r}).close()"
    done = cli.run([*NO_DAC_OVERRIDE, sys.executable, "-c", code])
    if "PermissionError" not in done.err:
        unavailable(f"cannot drop root's permission override with setpriv: {done}")


@pytest.mark.parametrize("name", [STORE_FILE, KEY_FILE])
def test_unreadable_store_file_names_the_file(cli: Cli, name: str) -> None:
    cli.set("x", "value")
    (cli.home / name).chmod(0)
    _require_permission_checks(cli, cli.home / name)
    result = cli.run(_glassdome("secrets", "get", "x"))
    assert result.code == 1, str(result)
    line = one_error_line(result)
    assert str(cli.home / name) in line, line
    assert "Permission denied" in line, line
    assert_debug_shows_traceback(cli.run(_glassdome("secrets", "get", "x"), GLASSDOME_DEBUG="1"))


def test_read_only_home_is_one_line(cli: Cli) -> None:
    cli.set("x", "value")
    cli.home.chmod(0o500)
    try:
        _require_permission_checks(cli, cli.home / "probe", "w")
        result = cli.run(_glassdome("secrets", "set", "y", "--from-file", "/dev/null"))
        assert result.code == 1, str(result)
        line = one_error_line(result)
        assert str(cli.home) in line, line
        assert "writable" in line, line
    finally:
        cli.home.chmod(0o700)


TASK_SCRUB = ("secrets.migrate", "--scrub")


def test_read_only_work_folder_ends_the_scrub_in_one_line(cli: Cli, work: Path) -> None:
    """The .env's folder cannot be written: one line naming the file, from the CLI and invoke."""
    (work / ".env").write_text("PROXMOX_PASSWORD=plain-value-1\n", encoding="utf-8")
    work.chmod(0o500)
    try:
        _require_permission_checks(cli, work / "probe", "w")
        for argv in (
            _glassdome("secrets", "migrate", "--scrub"),
            [*NO_DAC_OVERRIDE, sys.executable, "-m", "invoke", "-r", str(REPO), *TASK_SCRUB],
        ):
            result = cli.run(argv)
            assert result.code == 1, str(result)
            assert "Traceback" not in result.err, str(result)
            shown = [line for line in result.err_lines if line.startswith("glassdome: error:")]
            assert shown == [result.err_lines[-1]], str(result)
            assert str(work / ".env.lock") in shown[0], str(result)
            assert "Permission denied (EACCES)" in shown[0], str(result)
    finally:
        work.chmod(0o700)
    assert (work / ".env").read_text(encoding="utf-8") == "PROXMOX_PASSWORD=plain-value-1\n"


def test_deeply_nested_store_header_is_one_line(cli: Cli) -> None:
    cli.set("x", "value")
    (cli.home / STORE_FILE).write_bytes(b"[" * 200_000 + b"\n")
    result = cli("secrets", "get", "x")
    assert result.code == 1, str(result)
    line = one_error_line(result)
    assert str(cli.home / STORE_FILE) in line, line


def _raise(error: BaseException) -> int:
    raise error


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "No space left on device (ENOSPC)"),
        (
            PermissionError(errno.EACCES, "Permission denied", "/x/secrets.encrypted"),
            "/x/secrets.encrypted: Permission denied (EACCES)",
        ),
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
    ],
)
def test_guarded_renders_os_and_recursion_errors_as_one_line(
    error: BaseException, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert guarded(lambda term, redactor: _raise(error)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err, err
    assert err.startswith("glassdome: error: "), err
    assert shown in err, err


def test_guarded_shows_the_traceback_with_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLASSDOME_DEBUG", "1")
    assert (
        guarded(lambda term, redactor: _raise(OSError(errno.EIO, "Input/output error", "/x"))) == 1
    )
    assert "Traceback" in capsys.readouterr().err
