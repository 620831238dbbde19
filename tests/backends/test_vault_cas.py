"""The vault backend's check-and-set against a real OpenBao dev server: two operators
never silently overwrite each other, and a write lands only on the version it read."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from glassdome.errors import SecretConflict
from glassdome.ui.console import Terminal
from tests.backends.local_server import GUARD
from tests.backends.vault_support import backend, vault_manager
from tests.threads import run_in_threads


def test_a_cas_conflict_between_two_clients_is_an_error_and_keeps_the_other_value(
    token_env: dict[str, str], home: Path
) -> None:
    alice, bob = vault_manager(home), vault_manager(home)
    alice.set_secret("shared_token", "original")
    assert alice.get_secret("shared_token") == "original"
    assert bob.get_secret("shared_token") == "original"
    bob.set_secret("shared_token", "bob-rotated")
    with pytest.raises(SecretConflict, match=r"shared_token changed in .* after glassdome") as err:
        alice.set_secret("shared_token", "alice-rotated")
    assert err.value.names == ("shared_token",)
    assert "rotated" not in str(err.value)
    assert "original" not in str(err.value)
    assert vault_manager(home).get_secret("shared_token") == "bob-rotated"
    # Reading again is how Alice sees Bob's change; then her update goes through.
    assert alice.get_secret("shared_token") == "bob-rotated"
    alice.set_secret("shared_token", "alice-rotated")
    assert vault_manager(home).get_secret("shared_token") == "alice-rotated"


def test_two_clients_creating_the_same_name_conflict(token_env: dict[str, str], home: Path) -> None:
    alice, bob = vault_manager(home), vault_manager(home)
    assert alice.get_secret("new_name") is None  # Alice saw it absent...
    bob.set_secret("new_name", "bob-first")  # ...Bob created it...
    with pytest.raises(SecretConflict):
        alice.set_secret("new_name", "alice-second")  # ...so Alice's create must not win.
    assert vault_manager(home).get_secret("new_name") == "bob-first"


def test_set_many_writes_the_rest_and_names_every_conflict(
    token_env: dict[str, str], home: Path
) -> None:
    alice, bob = vault_manager(home), vault_manager(home)
    alice.set_many({"a": "1", "b": "1", "c": "1"})
    bob.get_secret("b")
    bob.get_secret("c")
    bob.set_many({"b": "bob", "c": "bob"})
    with pytest.raises(SecretConflict, match="b, c changed") as err:
        alice.set_many({"a": "2", "b": "2", "c": "2"})
    assert err.value.names == ("b", "c")
    check = vault_manager(home)
    assert [check.get_secret(n) for n in "abc"] == ["2", "bob", "bob"]


def test_delete_refuses_when_the_secret_changed_since_it_was_read(
    token_env: dict[str, str], home: Path
) -> None:
    alice, bob = vault_manager(home), vault_manager(home)
    alice.set_secret("to_remove", "v1")
    bob.get_secret("to_remove")
    alice.set_secret("to_remove", "v2")
    with pytest.raises(SecretConflict, match="not deleted"):
        bob.delete_secret("to_remove")
    assert vault_manager(home).get_secret("to_remove") == "v2"


def test_a_writer_that_never_read_an_existing_name_gets_a_conflict_and_changes_nothing(
    token_env: dict[str, str], home: Path
) -> None:
    """A name this process never read is written with cas=0: it never replaces a stored value."""
    vault_manager(home).set_secret("plain", "old")
    fresh = backend()
    fresh.availability()
    before = fresh.request_count
    with pytest.raises(
        SecretConflict, match=r"someone else stored plain in .* read it first"
    ) as err:
        fresh.set("plain", "new")
    assert fresh.request_count - before == 1  # the cas=0 write only: no read, no retry
    assert err.value.names == ("plain",)
    assert "new" not in str(err.value)
    assert "\n" not in str(err.value)
    with pytest.raises(SecretConflict):
        vault_manager(home).set_secret("plain", "new")  # the manager API alike
    with pytest.raises(SecretConflict):
        backend().set_many({"plain": "old"})  # even the same value is not written unread
    assert vault_manager(home).get_secret("plain") == "old"


def test_reading_first_is_the_deliberate_overwrite(token_env: dict[str, str], home: Path) -> None:
    vault_manager(home).set_secret("plain", "old")
    second = vault_manager(home)
    assert second.get_secret("plain") == "old"
    second.set_secret("plain", "new")
    assert vault_manager(home).get_secret("plain") == "new"


def test_secrets_set_replaces_an_existing_value_by_reading_it_first(
    token_env: dict[str, str], home: Path
) -> None:
    """`glassdome secrets set` of a stored name overwrites, as documented: read, then cas."""
    from glassdome.commands.secrets import set_secret as cli_set_secret

    vault_manager(home).set_secret("cli_name", "old")
    term = Terminal(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(), env={})
    assert cli_set_secret(term, "cli_name", value="new", manager=vault_manager(home)) == 0
    assert vault_manager(home).get_secret("cli_name") == "new"


def test_set_many_of_names_never_stored_is_one_request_each(
    token_env: dict[str, str], home: Path
) -> None:
    store = backend()
    assert store.availability().available
    before = store.request_count
    store.set_many({f"fresh_{i}": "value" for i in range(10)})
    assert store.request_count - before == 10


def test_concurrent_writers_to_one_name_never_lose_an_acknowledged_write(
    token_env: dict[str, str], home: Path
) -> None:
    """Each write either lands (and is the value last acknowledged) or raises SecretConflict."""
    vault_manager(home).set_secret("hot", "seed")
    landed: list[str] = []
    lock = threading.Lock()

    def writer(worker: int) -> None:
        own = vault_manager(home)
        for i in range(5):
            own.get_secret("hot")
            value = f"w{worker}-{i}"
            try:
                own.set_secret("hot", value)
            except SecretConflict:
                continue
            with lock:
                landed.append(value)

    run_in_threads(writer, [(w,) for w in range(4)], GUARD)
    assert landed, "no write landed at all"
    final = vault_manager(home).get_secret("hot")
    assert final in landed
