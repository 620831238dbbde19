"""What the encrypted file store shows at rest: a 0700 folder of 0600 files whatever
the umask, and no name or value, neither in the files (even as base64) nor in a repr.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from glassdome.backends.base import BackendContext
from glassdome.backends.encrypted_file import BACKUP_FILE, KEY_FILE, LOCK_FILE, STORE_FILE
from glassdome.primitives.master import MasterPasswordSource
from tests.backends.file_store import (
    CANARY,
    CANARY_NAME,
    NEW_PASSWORD,
    assert_reveals_nothing,
    env_for,
    file_backend,
    make_store,
    open_store,
    split_document,
)
from tests.conftest import PASSWORD

# -- permissions -------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o077], ids=oct)
def test_home_is_created_0700_and_every_file_0600_whatever_the_umask(
    home: Path, umask: int
) -> None:
    previous = os.umask(umask)
    try:
        manager = make_store(home)
        manager.change_master_password(PASSWORD, NEW_PASSWORD)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in home.iterdir()}
    assert modes == {STORE_FILE: 0o600, BACKUP_FILE: 0o600, KEY_FILE: 0o600, LOCK_FILE: 0o600}


# -- no value in reprs, errors or the file -----------------------------------


def test_reprs_and_descriptions_never_show_a_value(home: Path) -> None:
    """Errors are checked in every test above; this covers reprs, describe() and details."""
    manager = open_store(home)
    texts = [repr(manager)]
    manager.set_secret(CANARY_NAME, CANARY)
    backend = file_backend(manager)
    description = manager.describe()
    source = MasterPasswordSource(env=env_for())
    texts += [
        repr(manager),
        repr(backend),
        repr(description),
        str(description),
        repr(backend.details()),
        repr(source),
        repr(BackendContext(home, env_for(), source)),
    ]
    for text in texts:
        assert_reveals_nothing(text)
        assert "sk-live" not in text


def _encodings(text: str) -> set[bytes]:
    """*text* as UTF-8, and every base64 run it leaves inside a longer base64 stream."""
    raw = text.encode()
    forms = {raw}
    for skip in range(3):  # one of these alignments starts a base64 group
        tail = raw[skip:]
        whole = len(tail) // 3 * 3
        forms.add(base64.b64encode(tail[:whole]))
        forms.add(base64.urlsafe_b64encode(tail[:whole]))
    return forms


def test_the_files_show_neither_names_nor_values(home: Path) -> None:
    """The whole document is one token: no name or value is readable, even as base64."""
    entries = {
        CANARY_NAME: CANARY,
        "proxmox_token_value": "tok-3b9d1e77aa5f",
        "azure_client_secret": "az-secret-55cc01e9",
    }
    manager = open_store(home)
    manager.set_many(entries)
    manager.set_secret("later_name_x", "later-value-x")  # so the .bak holds a generation too
    for path in (home / STORE_FILE, home / BACKUP_FILE, home / KEY_FILE):
        content = path.read_bytes()
        for text in (*entries, *entries.values()):
            for form in _encodings(text):
                assert form not in content, (path.name, text)
    header, _ = split_document((home / STORE_FILE).read_bytes())
    assert set(json.loads(header)) == {"format", "version", "key_id"}
