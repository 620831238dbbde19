"""A Secret Service item replaced between finding and reading it is read again, not an error."""

from __future__ import annotations

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from secretstorage.exceptions import ItemNotFoundException

from glassdome.backends.os_keyring import OsKeyringBackend
from glassdome.errors import BackendUnavailable


class ReplacedOnce(SecretServiceKeyring):
    """The real Secret Service; the first `vanishing` reads find an item another writer removed."""

    priority = 5  # type: ignore[assignment]

    def __init__(self, vanishing: int) -> None:
        super().__init__()
        self.vanishing = vanishing

    def get_password(self, service: str, username: str) -> str | None:
        if self.vanishing:
            self.vanishing -= 1
            raise ItemNotFoundException("Item does not exist!")
        return super().get_password(service, username)


def test_a_read_racing_a_writer_is_read_again(keyring_env: dict[str, str]) -> None:
    OsKeyringBackend(timeout=30).set("racy", "stored-value")
    flaky = ReplacedOnce(vanishing=0)
    backend = OsKeyringBackend(flaky, timeout=30)
    assert backend.availability().available
    flaky.vanishing = 2
    assert backend.get("racy") == "stored-value"
    flaky.vanishing = 2
    assert backend.names() == ["racy"]


def test_an_item_that_keeps_vanishing_is_one_error(keyring_env: dict[str, str]) -> None:
    flaky = ReplacedOnce(vanishing=0)
    backend = OsKeyringBackend(flaky, timeout=30)
    assert backend.availability().available
    flaky.vanishing = 10
    with pytest.raises(BackendUnavailable, match="ItemNotFoundException"):
        backend.get("racy")
