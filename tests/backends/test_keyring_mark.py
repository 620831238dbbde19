"""Every glassdome keyring write renews the change mark, a write that fails half-way too."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from glassdome.backends.keyring_mark import CHANGE_FILE
from glassdome.backends.os_keyring import OsKeyringBackend
from glassdome.errors import BackendUnavailable


class FailsOn(SecretServiceKeyring):
    """The real Secret Service, refusing to store one name."""

    priority = 5  # type: ignore[assignment]

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    def set_password(self, service: str, username: str, password: str) -> None:
        if username == self.refused:
            raise RuntimeError("the keyring refused this entry")
        super().set_password(service, username, password)


def test_each_write_leaves_a_new_mark(keyring_env: dict[str, str], tmp_path: Path) -> None:
    backend = OsKeyringBackend(timeout=30, lock_path=tmp_path / "keyring.lock")
    assert backend.change_mark() == b""
    marks = []
    for write in (
        lambda: backend.set("alpha", "one"),
        lambda: backend.set_many({"alpha": "two", "beta": "three"}),
        lambda: backend.delete("beta"),
    ):
        write()
        marks.append(backend.change_mark())
    assert len(set(marks)) == 3
    assert all(marks)
    assert (tmp_path / CHANGE_FILE).stat().st_mode & 0o777 == 0o600
    backend.get("alpha")
    backend.names()
    assert backend.change_mark() == marks[-1]  # reads leave it as it was


def test_a_write_that_fails_half_way_still_renews_it(
    keyring_env: dict[str, str], tmp_path: Path
) -> None:
    backend = OsKeyringBackend(FailsOn("second"), timeout=30, lock_path=tmp_path / "keyring.lock")
    backend.set("first", "old")
    before = backend.change_mark()
    with pytest.raises(BackendUnavailable, match="refused"):
        backend.set_many({"first": "new", "second": "never"})
    assert backend.get("first") == "new"  # written before the failure ...
    assert backend.change_mark() != before  # ... so a cache of it must not be trusted
