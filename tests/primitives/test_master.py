"""Where the master password comes from, driven through injected env, stdin and prompt."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from glassdome.errors import MasterPasswordUnavailable, WeakMasterPassword
from glassdome.primitives.master import ENV_PASSWORD, ENV_PASSWORD_FILE, MasterPasswordSource

FROM_FILE = "password-from-the-file"
FROM_ENV = "password-from-the-env"
TYPED = "typed at the prompt"
NEW_PROMPT = "New master password for the glassdome secret store"
REPEAT_PROMPT = "Repeat the master password"
EXISTING_PROMPT = "Master password for the glassdome secret store"
TOO_SHORT = "The master password must be at least 8 characters."
DIFFERENT = "The two entries differ; try again."


class Tty(io.StringIO):
    """A stdin that says it is a terminal (nothing is ever read from it)."""

    def isatty(self) -> bool:
        return True


class Script:
    """A `PasswordPrompt` that returns scripted answers and records every prompt and line said."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.said: list[str] = []

    def ask_secret(self, prompt: str) -> str:
        self.prompts.append(prompt)
        assert self.answers, f"asked once too often: {prompt!r}"
        return self.answers.pop(0)

    def say(self, message: str) -> None:
        self.said.append(message)


def source(
    env: Mapping[str, str] | None = None, *, tty: bool = True, ask: Script | None = None
) -> MasterPasswordSource:
    return MasterPasswordSource(
        env={} if env is None else env,
        stdin=Tty() if tty else io.StringIO(),
        prompt=ask or Script(),
    )


# -- the prompt ----------------------------------------------------------------


def test_new_password_is_asked_twice(capsys: pytest.CaptureFixture[str]) -> None:
    ask = Script(TYPED, TYPED)
    assert source(ask=ask).get(new=True).get_secret_value() == TYPED
    assert ask.prompts == [NEW_PROMPT, REPEAT_PROMPT]
    assert ask.said == []
    assert capsys.readouterr() == ("", "")


def test_mismatched_repeat_asks_again(capsys: pytest.CaptureFixture[str]) -> None:
    ask = Script("first attempt", "first attempX", TYPED, TYPED)
    assert source(ask=ask).get(new=True).get_secret_value() == TYPED
    assert ask.prompts == [NEW_PROMPT, REPEAT_PROMPT, NEW_PROMPT, REPEAT_PROMPT]
    assert ask.said == [DIFFERENT]
    assert capsys.readouterr() == ("", "")  # said through the prompt, nowhere else


def test_short_new_password_asks_again_without_a_repeat(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ask = Script("7-chars", TYPED, TYPED)
    assert source(ask=ask).get(new=True).get_secret_value() == TYPED
    assert ask.prompts == [NEW_PROMPT, NEW_PROMPT, REPEAT_PROMPT]
    assert ask.said == [TOO_SHORT]
    assert capsys.readouterr() == ("", "")


def test_three_failed_attempts_raise_and_show_no_entry(capsys: pytest.CaptureFixture[str]) -> None:
    ask = Script("first attempt", "first attempX", "short", "third attempt", "third attempX")
    with pytest.raises(WeakMasterPassword, match="after 3 attempts; nothing was stored") as info:
        source(ask=ask).get(new=True)
    assert ask.prompts == [NEW_PROMPT, REPEAT_PROMPT, NEW_PROMPT, NEW_PROMPT, REPEAT_PROMPT]
    assert ask.answers == []
    assert ask.said == [DIFFERENT, TOO_SHORT, DIFFERENT]
    assert capsys.readouterr() == ("", "")
    for entry in ("first attempt", "short", "third attempt"):
        assert entry not in str(info.value)


def test_existing_password_is_asked_once_and_returned_as_typed() -> None:
    ask = Script("short")  # no length rule for a password that already exists
    assert source(ask=ask).get(new=False).get_secret_value() == "short"
    assert ask.prompts == [EXISTING_PROMPT]


def test_prompt_names_the_purpose() -> None:
    ask = Script(TYPED)
    source(ask=ask).get(new=False, purpose="the lab vault")
    assert ask.prompts == ["Master password for the lab vault"]


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_no_input_disables_the_prompt_even_on_a_terminal(value: str) -> None:
    ask = Script(TYPED, TYPED)
    password = source({"GLASSDOME_NO_INPUT": value}, ask=ask)
    assert password.origin() == "none"
    assert password.interactive is False
    with pytest.raises(MasterPasswordUnavailable, match="without GLASSDOME_NO_INPUT=1"):
        password.get(new=False)
    with pytest.raises(MasterPasswordUnavailable):
        password.get(new=True)
    assert ask.prompts == []


@pytest.mark.parametrize("value", ["0", "", "no"])
def test_a_false_no_input_leaves_the_prompt_on(value: str) -> None:
    password = source({"GLASSDOME_NO_INPUT": value}, ask=Script(TYPED))
    assert password.origin() == "prompt"
    assert password.interactive is True
    assert password.get(new=False).get_secret_value() == TYPED


def test_no_source_and_no_terminal_raises_naming_both_variables() -> None:
    ask = Script(TYPED)
    password = source(tty=False, ask=ask)
    assert password.origin() == "none"
    with pytest.raises(MasterPasswordUnavailable) as info:
        password.get(new=False)
    message = str(info.value)
    assert f"set {ENV_PASSWORD_FILE} to a file" in message
    assert f"or {ENV_PASSWORD}, or run in a terminal" in message
    assert "GLASSDOME_NO_INPUT" not in message
    assert ask.prompts == []


def test_a_closed_stdin_counts_as_no_terminal() -> None:
    stdin = io.StringIO()
    stdin.close()
    password = MasterPasswordSource(env={}, stdin=stdin, prompt=Script())
    assert password.origin() == "none"
    with pytest.raises(MasterPasswordUnavailable):
        password.get(new=False)


# -- file and variable --------------------------------------------------------


def test_the_file_wins_over_the_variable_and_the_prompt(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_text(FROM_FILE + "\n", encoding="utf-8")
    ask = Script(TYPED)
    password = source({ENV_PASSWORD_FILE: str(path), ENV_PASSWORD: FROM_ENV}, ask=ask)
    assert password.get(new=False).get_secret_value() == FROM_FILE
    assert password.get(new=True).get_secret_value() == FROM_FILE
    assert password.origin() == f"{ENV_PASSWORD_FILE} ({path})"
    assert password.interactive is False
    assert ask.prompts == []


def test_the_variable_wins_over_the_prompt() -> None:
    ask = Script(TYPED)
    password = source({ENV_PASSWORD: FROM_ENV}, ask=ask)
    assert password.get(new=False).get_secret_value() == FROM_ENV
    assert password.origin() == ENV_PASSWORD
    assert ask.prompts == []


@pytest.mark.parametrize(
    ("content", "password"),
    [
        (b"pw-in-a-file\n", "pw-in-a-file"),
        (b"pw-in-a-file\r\n", "pw-in-a-file"),
        (b"pw-in-a-file", "pw-in-a-file"),
        (b"pw-in-a-file\n\n", "pw-in-a-file\n"),
        (b"  spaced pw  \n", "  spaced pw  "),
    ],
    ids=["newline", "crlf", "no newline", "two newlines", "spaces kept"],
)
def test_one_trailing_newline_is_dropped_from_the_file(
    tmp_path: Path, content: bytes, password: str
) -> None:
    path = tmp_path / "pw"
    path.write_bytes(content)
    assert source({ENV_PASSWORD_FILE: str(path)}).get(new=False).get_secret_value() == password


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"\n", "empty"),
        (b"\xff\xfe-not-utf8", "not UTF-8 text"),
        (None, "cannot be read"),
    ],
    ids=["empty", "only a newline", "not utf-8", "missing"],
)
def test_an_unusable_password_file_is_an_error_naming_it(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    path = tmp_path / "pw"
    if content is not None:
        path.write_bytes(content)
    password = source({ENV_PASSWORD_FILE: str(path), ENV_PASSWORD: FROM_ENV})
    with pytest.raises(MasterPasswordUnavailable, match=reason) as info:
        password.get(new=False)
    assert str(path) in str(info.value)
    assert FROM_ENV not in str(info.value)


@pytest.mark.parametrize("origin", ["variable", "file"])
def test_a_short_new_password_from_the_environment_is_refused_without_showing_it(
    tmp_path: Path, origin: str
) -> None:
    short = "7-chars"
    if origin == "file":
        path = tmp_path / "pw"
        path.write_text(short + "\n", encoding="utf-8")
        env = {ENV_PASSWORD_FILE: str(path)}
    else:
        env = {ENV_PASSWORD: short}
    password = source(env)
    with pytest.raises(WeakMasterPassword, match="shorter than 8 characters") as info:
        password.get(new=True)
    assert short not in str(info.value)
    assert password.get(new=False).get_secret_value() == short  # an existing store may use it


# -- nothing reveals the value -------------------------------------------------


def test_origin_and_repr_never_reveal_the_password(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_text(FROM_FILE, encoding="utf-8")
    sources = [
        source({ENV_PASSWORD_FILE: str(path), ENV_PASSWORD: FROM_ENV}),
        source({ENV_PASSWORD: FROM_ENV}),
        source(ask=Script(TYPED)),
    ]
    for password in sources:
        value = password.get(new=False)
        for text in (password.origin(), repr(password), repr(value), str(value)):
            for secret in (FROM_FILE, FROM_ENV, TYPED):
                assert secret not in text
