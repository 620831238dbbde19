"""`glassdome secrets ...` when something is wrong: one line and exit 1 for a failure,
exit 2 for a usage error, a traceback only with GLASSDOME_DEBUG, a value typed in the
wrong place never repeated; and `python -m glassdome` answers as the command does."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.cli.runner import Cli, one_error_line

# -- failures: one line, exit 1 -------------------------------------------------


def test_wrong_master_password_exits_1_with_one_line_and_no_traceback(cli: Cli):
    cli.set("guarded", "value")
    result = cli("secrets", "get", "guarded", GLASSDOME_MASTER_PASSWORD="not the password")
    assert result.code == 1
    assert result.out == ""
    assert "wrong master password" in one_error_line(result)


@pytest.mark.parametrize("damage", ["garbage", "tampered-token", "truncated"])
def test_corrupt_store_exits_1_with_one_line(cli: Cli, home: Path, damage: str):
    cli.set("precious", "value")
    store = home / "secrets.encrypted"
    raw = store.read_bytes()
    if damage == "garbage":
        store.write_bytes(b"this is not a glassdome store\n")
    elif damage == "tampered-token":
        header, token = raw.split(b"\n", 1)
        flipped = token[:40] + (b"A" if token[40:41] != b"A" else b"B") + token[41:]
        store.write_bytes(header + b"\n" + flipped)
    else:
        store.write_bytes(raw[: len(raw) // 2])
    result = cli("secrets", "get", "precious")
    assert result.code == 1
    assert "corrupted" in one_error_line(result)


def test_keyring_backend_without_dbus_exits_1_naming_the_reason(cli: Cli, tmp_path: Path):
    runtime = tmp_path / "xdg-runtime"
    for folder in (runtime, tmp_path / "xdg-config", tmp_path / "xdg-data"):
        folder.mkdir(mode=0o700)
    result = cli(
        "secrets",
        "list",
        unset=("DBUS_SESSION_BUS_ADDRESS", "PYTHON_KEYRING_BACKEND"),
        GLASSDOME_SECRETS_BACKEND="keyring",
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
    )
    assert result.code == 1
    line = one_error_line(result)
    assert "GLASSDOME_SECRETS_BACKEND=keyring" in line
    reason = line.partition("was asked for, but ")[2]
    assert any(
        why in reason for why in ("no usable OS keyring", "D-Bus", "did not answer", "failed")
    ), line


# -- usage errors: exit 2 -------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["secrets"],
        ["secrets", "bogus"],
        ["secrets", "get"],
        ["secrets", "list", "--bogus"],
        ["secrets", "set", "x", "--value", "v", "--from-file", "f"],
        ["secrets", "exec"],
        ["secrets", "exec", "--"],
    ],
    ids=lambda args: " ".join(args) or "nothing",
)
def test_usage_errors_exit_2_with_one_line(cli: Cli, args: list[str]):
    result = cli(*args)
    assert result.code == 2, str(result)
    one_error_line(result)


# -- GLASSDOME_DEBUG ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [(["secrets", "get", "absent"], 1), (["secrets", "bogus"], 2)],
    ids=["failure", "usage-error"],
)
def test_debug_shows_the_traceback_and_keeps_the_exit_code(cli: Cli, args: list[str], code: int):
    quiet = cli(*args)
    loud = cli(*args, GLASSDOME_DEBUG="1")
    assert quiet.code == loud.code == code
    assert "Traceback" not in quiet.err
    assert "Traceback (most recent call last):" in loud.err
    assert one_error_line(quiet) in loud.err_lines


# -- python -m glassdome ----------------------------------------------------------


def test_python_m_glassdome_works_like_the_glassdome_command(cli: Cli):
    script = Path(sys.executable).with_name("glassdome")
    command = str(script) if script.exists() else shutil.which("glassdome")
    assert command, "the glassdome console script is not installed"
    cli.set("shared", "value")
    for args in (["--version"], ["--help"], ["secrets", "list", "--json"], ["secrets", "get"]):
        by_module = cli(*args)
        by_script = cli.run([command, *args])
        assert (by_script.code, by_script.out, by_script.err) == (
            by_module.code,
            by_module.out,
            by_module.err,
        ), args


@pytest.mark.parametrize(
    "args",
    [
        ("secrets", "Typed-Canary-93b1"),  # where the sub-command goes
        ("secrets", "get", "proxmox_password", "Typed-Canary-93b1"),  # one argument too many
        ("secrets", 'it\'s "Typed-Canary-93b1"'),  # quoted by argparse with double quotes
        ("Typed-Canary-93b1",),
    ],
)
def test_a_value_typed_in_the_wrong_place_is_never_repeated(cli: Cli, args: tuple[str, ...]):
    result = cli(*args)
    assert result.code == 2, str(result)
    assert "Typed-Canary-93b1" not in result.out + result.err
    assert result.err.startswith("glassdome: error: ")
