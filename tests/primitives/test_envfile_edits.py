"""glassdome.primitives.envfile: set_values and remove_keys edit .env in place, other bytes kept."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values

from glassdome.primitives.envfile import (
    backup_path,
    check_writable,
    read_values,
    remove_keys,
    set_values,
)


@pytest.fixture
def env(tmp_path: Path) -> Path:
    return tmp_path / ".env"


def test_crlf_lines_keep_their_endings_and_untouched_lines_stay_byte_for_byte(env: Path):
    env.write_bytes(b"# top\r\nA=1\r\nB='two words'\r\n\r\nC=3\r\n")
    assert set_values(env, {"B": "changed"}) == ["B"]
    assert env.read_bytes() == b"# top\r\nA=1\r\nB=changed\r\n\r\nC=3\r\n"


def test_a_repeated_key_is_set_once_where_it_first_stood(env: Path):
    env.write_bytes(b"K=first\nA=1\n\nK=second\nB=2\nK=third")
    assert set_values(env, {"K": "new"}) == ["K"]
    assert env.read_bytes() == b"K=new\nA=1\n\nB=2\n"
    assert read_values(env) == {"K": "new", "A": "1", "B": "2"}


def test_a_repeated_last_key_without_newline_then_a_new_key_adds_no_blank_line(env: Path):
    env.write_bytes(b"K=first\nA=1\nK=last")
    set_values(env, {"K": "new", "NEW": "x"})
    assert env.read_bytes() == b"K=new\nA=1\nNEW=x\n"


def test_appending_to_a_file_without_trailing_newline_starts_a_new_line(env: Path):
    env.write_bytes(b"# no newline at the end\nA=1")
    assert set_values(env, {"B": "2"}) == ["B"]
    assert env.read_bytes() == b"# no newline at the end\nA=1\nB=2\n"


def test_a_replaced_last_line_without_newline_gains_one(env: Path):
    env.write_bytes(b"A=1\nB=2")
    assert set_values(env, {"B": "3"}) == ["B"]
    assert env.read_bytes() == b"A=1\nB=3\n"


def test_appending_to_a_crlf_file_keeps_its_lines(env: Path):
    env.write_bytes(b"A=1\r\n")
    set_values(env, {"B": "2"})
    assert env.read_bytes() == b"A=1\r\nB=2\n"
    assert read_values(env) == {"A": "1", "B": "2"}


def test_export_prefix_and_indentation_of_a_replaced_line_stay(env: Path):
    env.write_bytes(b"export A=1\n  B=2\n")
    set_values(env, {"A": "10", "B": "20"})
    assert env.read_bytes() == b"export A=10\n  B=20\n"


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "",
        "two words",
        " leading and trailing ",
        "#not-a-comment",
        "a # b",
        "it's",
        'say "hi"',
        'it\'s "both"',
        "back\\slash",
        "multi\nline",
        "tab\tin",
        "=starts-with-equals",
        "unicode é ü 日本",
        "$HOME but no braces",
    ],
)
def test_values_needing_quotes_round_trip_through_python_dotenv(env: Path, value: str):
    env.write_bytes(b"BEFORE=1\n")
    assert set_values(env, {"KEY": value}) == ["KEY"]
    assert dotenv_values(env)["KEY"] == value
    assert read_values(env) == {"BEFORE": "1", "KEY": value}
    assert set_values(env, {"KEY": value}) == []  # read back equal: idempotent


@pytest.mark.parametrize("value", ["x${HOME}y", "a ${X} b", "${A:-default}"])
def test_a_value_dotenv_would_expand_is_refused_and_the_file_left_alone(env: Path, value: str):
    env.write_bytes(b"A=1\n")
    with pytest.raises(ValueError, match=r"would read the value back differently"):
        set_values(env, {"KEY": value})
    assert env.read_bytes() == b"A=1\n"


def test_invalid_key_names_are_refused(env: Path):
    with pytest.raises(ValueError, match=r"not a valid \.env variable name"):
        set_values(env, {"BAD-KEY": "x"})
    assert not env.exists()


def test_a_new_file_is_created_with_mode_0600(env: Path):
    assert set_values(env, {"A": "1"}) == ["A"]
    assert env.read_bytes() == b"A=1\n"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_an_existing_file_keeps_its_mode(env: Path):
    env.write_bytes(b"A=1\n")
    os.chmod(env, 0o640)  # noqa: PTH101 - the mode is what is tested
    set_values(env, {"A": "2"})
    assert stat.S_IMODE(env.stat().st_mode) == 0o640


def test_nothing_to_change_writes_nothing(env: Path):
    env.write_bytes(b"A='1'\n")
    before = env.stat()
    assert set_values(env, {"A": "1"}) == []
    assert env.read_bytes() == b"A='1'\n"
    assert env.stat().st_ino == before.st_ino


def test_reading_again_sees_an_edit_made_by_hand_between_reads(env: Path):
    env.write_text("A=1\nB=2\n")
    assert read_values(env) == {"A": "1", "B": "2"}
    env.write_text("A=9\nB=2\n")  # same size, same second: only the content differs
    assert read_values(env) == {"A": "9", "B": "2"}
    assert set_values(env, {"A": "9"}) == []
    assert set_values(env, {"A": "1"}) == ["A"]
    assert read_values(env) == {"A": "1", "B": "2"}


def test_an_interpolating_file_is_read_against_the_environment_of_each_read(
    env: Path, monkeypatch: pytest.MonkeyPatch
):
    env.write_text("URL=https://${LAB_HOST}:8006\n")
    monkeypatch.setenv("LAB_HOST", "one.example")
    assert read_values(env) == {"URL": "https://one.example:8006"}
    monkeypatch.setenv("LAB_HOST", "two.example")
    assert read_values(env) == {"URL": "https://two.example:8006"}
    assert read_values(env) == dotenv_values(env)


@pytest.mark.parametrize(
    "value",
    [
        "x${HOME}y",
        "it's ${HOME}",
        "${A:-default}",
        "plain",
        "'${HOME}'",
        "a\nb $X",
        "it's $(id)",
        "cr\r",
        "nul\0",
        "$(touch pwned)",
    ],
)
def test_check_writable_refuses_exactly_what_set_values_refuses(env: Path, value: str):
    try:
        set_values(env, {"KEY": value})
        written = True
    except ValueError:
        written = False
    if written:
        check_writable({"KEY": value})
    else:
        with pytest.raises(ValueError) as refused:
            set_values(env, {"KEY": value})
        with pytest.raises(ValueError) as checked:
            check_writable({"KEY": value})
        assert str(checked.value) == str(refused.value)


def test_concurrent_edits_of_one_file_all_land(env: Path):
    """Read, edit and write happen under a lock: four processes adding keys lose none."""
    import sys

    env.write_text("# shared\nKEPT=1\n")
    script = (
        "import sys; from pathlib import Path\n"
        "from glassdome.primitives.envfile import set_values\n"
        "for i in range(15): set_values(Path(sys.argv[1]), {f'K_{sys.argv[2]}_{i}': str(i)})\n"
    )
    workers = [subprocess.Popen([sys.executable, "-c", script, str(env), str(n)]) for n in range(4)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0, 0, 0]
    values = read_values(env)
    assert values.pop("KEPT") == "1"
    assert values == {f"K_{n}_{i}": str(i) for n in range(4) for i in range(15)}
    assert env.read_text().startswith("# shared\nKEPT=1\n")


def _moved(key: str) -> str:
    return f"# {key} moved"


def test_remove_keys_comments_out_every_binding_and_keeps_each_line_ending(env: Path):
    env.write_bytes(b"# top\r\nSECRET=1\r\n\n  \nexport secret='2'\nKEEP=x\nSecret=3")
    assert remove_keys(env, ["secret"], _moved, backup=False) == ["SECRET"]
    assert env.read_bytes() == (
        b"# top\r\n# SECRET moved\r\n\n  \n# secret moved\nKEEP=x\n# Secret moved"
    )
    assert read_values(env) == {"KEEP": "x"}
    assert not backup_path(env).exists()


def test_remove_keys_names_each_removed_key_once_in_file_order(env: Path):
    env.write_bytes(b"B=1\nA=2\nb=3\nC=4\n")
    assert remove_keys(env, ["a", "B", "missing"], _moved) == ["B", "A"]
    assert env.read_bytes() == b"# B moved\n# A moved\n# b moved\nC=4\n"


def test_remove_keys_backs_up_the_file_as_it_was_with_mode_0600(env: Path):
    env.write_bytes(b"A=1\nB=2\n")
    remove_keys(env, ["A"], _moved)
    assert backup_path(env).read_bytes() == b"A=1\nB=2\n"
    assert stat.S_IMODE(backup_path(env).stat().st_mode) == 0o600


def test_remove_keys_with_nothing_to_remove_writes_nothing(env: Path):
    env.write_bytes(b"A=1\n")
    before = env.stat()
    assert remove_keys(env, ["B"], _moved) == []
    assert env.stat().st_ino == before.st_ino
    assert not backup_path(env).exists()
