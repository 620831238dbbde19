"""A terminal session: `glassdome unlock` asks once, then no command asks (a real pty)."""

from __future__ import annotations

from tests.cli.runner import Cli, finish
from tests.cli.test_pty import type_hidden
from tests.conftest import PASSWORD

NO_SOURCE = ("GLASSDOME_MASTER_PASSWORD", "GLASSDOME_NO_INPUT")


def test_unlock_asks_once_on_the_terminal_and_then_no_command_asks(agent: Cli):
    agent.set("alpha", "value-of-alpha")
    child = agent.spawn_glassdome("unlock", unset=NO_SOURCE)
    type_hidden(child, "Master password", PASSWORD)
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "Unlocked the file store" in transcript
    assert PASSWORD not in transcript
    for argv in (("secrets", "list"), ("agent", "status"), ("secrets", "get", "alpha")):
        code, transcript = finish(agent.spawn_glassdome(*argv, unset=NO_SOURCE))
        assert code == 0, transcript
        assert "Master password" not in transcript
    assert transcript.rstrip().endswith("value-of-alpha")  # the last one: `secrets get`


def test_a_wrong_password_typed_three_times_exits_1_and_starts_nothing(agent: Cli):
    agent.set("alpha", "value-of-alpha")
    child = agent.spawn_glassdome("unlock", unset=NO_SOURCE)
    for _ in range(3):
        type_hidden(child, "Master password", "not the password")
    code, transcript = finish(child)
    assert code == 1, transcript
    assert "wrong master password" in transcript
    assert "not running" in agent("agent", "status").out
