"""What glassdome writes to .env is read back the same, and inert, by python-dotenv and sh."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassdome.primitives.envfile import check_writable, read_values, set_values


@pytest.fixture
def env(tmp_path: Path) -> Path:
    return tmp_path / ".env"


_SHELL_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/home-of-sh", "X": "x"}


def _sourced(directory: Path, shell: str = "sh") -> dict[str, str]:
    """The environment after ``set -a; . ./.env`` in *shell*, run in *directory*."""
    done = subprocess.run(
        [shell, "-c", "set -a; . ./.env; env -0"],
        cwd=directory,
        env=_SHELL_ENV,
        capture_output=True,
        timeout=10,
        check=True,
    )
    pairs = (item.partition(b"=") for item in done.stdout.split(b"\0") if item)
    return {k.decode(): v.decode("utf-8", "surrogateescape") for k, _, v in pairs}


_HOSTILE = [
    "$(touch pwned)",
    "`touch pwned`",
    "a;touch pwned",
    "x && touch pwned",
    "$HOME",
    "$X and $(id)",
    "it's",
    'say "hi"',
    'it\'s "both"',
    "'",
    '"',
    "\\",
    "back\\slash",
    "ends with backslash\\",
    "\\\\double",
    "\\'",
    "\\$HOME",
    "two  spaces ",
    " ",
    "#not-a-comment",
    "a # b",
    "~",
    "*",
    "a|b>c<d&e",
    "multi\nline $(touch pwned)",
    "tab\tin",
    "unicode é ü 日本",
    "",
]


@pytest.mark.parametrize("value", _HOSTILE)
@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_hostile_values_read_back_identically_by_dotenv_and_a_shell_and_run_nothing(
    tmp_path: Path, value: str, shell: str
):
    env = tmp_path / ".env"
    env.write_text("export BEFORE=1\n")
    if value.endswith("\\") and _dotenv_misreads_final_backslash():
        with pytest.raises(ValueError, match=r"misreads a quoted value ending in a backslash"):
            set_values(env, {"KEY": value, "OTHER": "after"})
        assert env.read_text() == "export BEFORE=1\n"
        return
    set_values(env, {"KEY": value, "OTHER": "after"})
    assert dotenv_values(env) == {"BEFORE": "1", "KEY": value, "OTHER": "after"}
    sourced = _sourced(tmp_path, shell)
    assert (sourced["BEFORE"], sourced["KEY"], sourced["OTHER"]) == ("1", value, "after")
    assert not (tmp_path / "pwned").exists()


def _dotenv_misreads_final_backslash() -> bool:
    """python-dotenv before 1.2.3 (worked out from its version, not glassdome's probe)."""
    from importlib.metadata import version

    major, minor, patch = (int(part) for part in version("python-dotenv").split(".")[:3])
    return (major, minor, patch) < (1, 2, 3)


# The quoted-value patterns of python-dotenv 1.2.2 and earlier, as they shipped.
_OLD_SINGLE_QUOTED = r"'((?:\\'|[^'])*)'"
_OLD_DOUBLE_QUOTED = r'"((?:\\"|[^"])*)"'


@pytest.fixture
def old_dotenv_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-dotenv's own parser with the quoted-value rules it had before 1.2.3."""
    import re

    from dotenv import parser

    from glassdome.primitives import envfile

    monkeypatch.setattr(parser, "_single_quoted_value", re.compile(_OLD_SINGLE_QUOTED, re.DOTALL))
    monkeypatch.setattr(parser, "_double_quoted_value", re.compile(_OLD_DOUBLE_QUOTED, re.DOTALL))
    envfile._misreads_final_backslash.cache_clear()
    envfile._parse_cached.cache_clear()
    yield
    envfile._misreads_final_backslash.cache_clear()
    envfile._parse_cached.cache_clear()


def _write_all_hostile_values_and_read_them_back(tmp_path: Path, old_parser: bool) -> None:
    env = tmp_path / ".env"
    values = {f"K{i}": v for i, v in enumerate(_HOSTILE)}
    ends_in_backslash = [k for k, v in values.items() if v.endswith("\\")]
    assert ends_in_backslash  # the list holds the case old parsers misread
    if old_parser:
        with pytest.raises(ValueError, match=r"misreads a quoted value ending in a backslash"):
            set_values(env, values)
        assert not env.exists()
        values = {k: v for k, v in values.items() if k not in ends_in_backslash}
    set_values(env, values)
    assert dotenv_values(env) == values
    sourced = _sourced(tmp_path)
    assert {k: sourced[k] for k in values} == values
    assert not (tmp_path / "pwned").exists()


def test_all_hostile_values_in_one_file_read_back_identically(tmp_path: Path):
    _write_all_hostile_values_and_read_them_back(tmp_path, _dotenv_misreads_final_backslash())


def test_with_an_old_dotenv_parser_a_final_backslash_is_refused_and_the_rest_read_back(
    tmp_path: Path, old_dotenv_parser: None
):
    _write_all_hostile_values_and_read_them_back(tmp_path, old_parser=True)


def test_an_edit_that_would_change_how_an_existing_line_reads_is_refused(
    env: Path, old_dotenv_parser: None
):
    # Written by hand (or by a newer python-dotenv): read as `x\` while no quote follows.
    env.write_bytes(b'A="x\\\\"\n')
    assert read_values(env) == {"A": "x\\"}
    with pytest.raises(ValueError, match=r"^A: this edit would change how python-dotenv reads"):
        set_values(env, {"B": 'say "hi"'})
    assert env.read_bytes() == b'A="x\\\\"\n'


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("${X}", "would read the value back differently"),
        ("a\rb", "carriage return"),
        ("a\r\nb", "carriage return"),
        ("nul\0", "NUL"),
        ("it's $(touch pwned)", r"\$ or `"),
        ("it's `touch pwned`", r"\$ or `"),
        ("\\\\$HOME", r"\$ or `"),
        ("$HOME\\'", r"\$ or `"),
        ("`id`\\", r"\$ or `"),
        ("$HOME\\", r"\$ or `"),
    ],
)
def test_values_that_cannot_be_read_the_same_both_ways_are_refused_with_the_file_unchanged(
    env: Path, value: str, why: str
):
    env.write_bytes(b"A=1\n")
    with pytest.raises(ValueError, match=why) as refused:
        set_values(env, {"KEY": value})
    assert "\n" not in str(refused.value)
    assert env.read_bytes() == b"A=1\n"
    with pytest.raises(ValueError, match=why):
        check_writable({"KEY": value})


def _refused(value: str) -> bool:
    """What set_values must refuse, worked out independently of glassdome's code."""
    import re

    from dotenv.variables import _posix_variable

    shell_special = "$" in value or "`" in value
    single_quote_decodes = re.search(r"\\\\|\\'|\\\Z", value) is not None
    old_parser_misreads = value.endswith("\\") and _dotenv_misreads_final_backslash()
    return (
        "\0" in value
        or "\r" in value
        or _posix_variable.search(value) is not None  # python-dotenv interpolates ${...}
        or (shell_special and ("'" in value or single_quote_decodes))
        or old_parser_misreads
    )


_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("$`'\"\\{}()#;&|<>*?~! \t\n\r\0=:-_aZ09é"),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=24,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_TEXT)
def test_any_text_is_written_so_dotenv_and_sh_read_it_back_the_same_or_is_refused(value: str):
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        env = Path(directory) / ".env"
        env.write_bytes(b"A=1\n")
        values = {"KEY": value, "AFTER": 'a "quoted" word'}  # a later quote must not bind
        if _refused(value):
            with pytest.raises(ValueError):
                set_values(env, values)
            with pytest.raises(ValueError):
                check_writable({"KEY": value})
            assert env.read_bytes() == b"A=1\n"
            return
        check_writable(values)
        set_values(env, values)
        assert dotenv_values(env) == {"A": "1", **values}
        assert read_values(env) == {"A": "1", **values}
        sourced = _sourced(Path(directory))
        assert (sourced["A"], sourced["KEY"], sourced["AFTER"]) == ("1", value, values["AFTER"])
        assert sorted(p.name for p in Path(directory).iterdir()) == [".env", ".env.lock"]
