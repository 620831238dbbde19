"""The interactive side of `glassdome secrets`, through a real pseudo-terminal (pexpect)."""

from __future__ import annotations

from tests.cli.runner import Cli, finish
from tests.conftest import PASSWORD

HIDDEN = "typed-but-never-shown-4d2a"
NEW_PASSWORD = "a fresh passphrase 81c"


def type_hidden(child, prompt: str, value: str) -> None:
    """Wait for *prompt*, then for echo to go off, then type *value*."""
    child.expect(prompt)
    assert child.waitnoecho(timeout=10), "echo was never turned off"
    child.sendline(value)


def test_set_prompts_with_echo_off_and_the_value_never_shows(cli: Cli):
    cli.set("unrelated", "creates the store first")
    child = cli.spawn_glassdome("secrets", "set", "typed_secret")
    type_hidden(child, "Value for typed_secret", HIDDEN)
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "Stored typed_secret" in transcript
    assert HIDDEN not in transcript
    assert cli.get("typed_secret") == HIDDEN


def test_get_on_a_terminal_warns_first_then_prints_the_value(cli: Cli):
    cli.set("shown", "visible-value")
    code, transcript = finish(cli.spawn_glassdome("secrets", "get", "shown"))
    assert code == 0, transcript
    assert "warning: printing the value of shown on your terminal" in transcript
    assert transcript.index("warning:") < transcript.index("visible-value")
    assert transcript.rstrip().endswith("visible-value")


def test_delete_answered_no_keeps_the_secret_and_exits_1(cli: Cli):
    cli.set("maybe", "value")
    child = cli.spawn_glassdome("secrets", "delete", "maybe")
    child.expect(r"Delete secret maybe from the file backend\?")
    child.sendline("n")
    code, transcript = finish(child)
    assert code == 1, transcript
    assert "Nothing deleted" in transcript
    assert cli.names() == ["maybe"]


def test_delete_answered_yes_deletes_and_exits_0(cli: Cli):
    cli.set("maybe", "value")
    cli.set("other", "value")
    child = cli.spawn_glassdome("secrets", "delete", "maybe")
    child.expect(r"Delete secret maybe from the file backend\?")
    child.sendline("y")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert cli.names() == ["other"]


def test_passwd_asks_for_the_new_password_twice_and_again_on_a_mismatch(cli: Cli):
    cli.set("survives", "the change")
    child = cli.spawn_glassdome("secrets", "passwd")  # old password: GLASSDOME_MASTER_PASSWORD
    type_hidden(child, "New master password", NEW_PASSWORD)
    type_hidden(child, "Repeat the master password", NEW_PASSWORD + " typo")
    child.expect("differ")
    type_hidden(child, "New master password", NEW_PASSWORD)
    type_hidden(child, "Repeat the master password", NEW_PASSWORD)
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "Master password changed" in transcript
    assert NEW_PASSWORD not in transcript
    assert cli("secrets", "get", "survives").code == 1  # the old password no longer opens it
    assert cli.get("survives", GLASSDOME_MASTER_PASSWORD=NEW_PASSWORD) == "the change"


def test_a_new_store_asks_for_its_master_password_twice(cli: Cli, home):
    child = cli.spawn_glassdome("secrets", "set", "first", unset=("GLASSDOME_MASTER_PASSWORD",))
    type_hidden(child, "Value for first", HIDDEN)
    type_hidden(child, "New master password", NEW_PASSWORD)
    type_hidden(child, "Repeat the master password", NEW_PASSWORD)
    code, transcript = finish(child)
    assert code == 0, transcript
    assert HIDDEN not in transcript
    assert NEW_PASSWORD not in transcript
    assert (home / "master_key.enc").exists()
    assert cli("secrets", "get", "first", GLASSDOME_MASTER_PASSWORD=PASSWORD).code == 1
    assert cli.get("first", GLASSDOME_MASTER_PASSWORD=NEW_PASSWORD) == HIDDEN


def test_an_existing_store_asks_for_its_master_password_once(cli: Cli):
    cli.set("kept", "stored value")
    child = cli.spawn_glassdome("secrets", "list", "--json", unset=("GLASSDOME_MASTER_PASSWORD",))
    type_hidden(child, "Master password for", PASSWORD)
    code, transcript = finish(child)
    assert code == 0, transcript
    assert PASSWORD not in transcript
    assert "Repeat" not in transcript
    assert '"secrets": ["kept"]' in transcript
