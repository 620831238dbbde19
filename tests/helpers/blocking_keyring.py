"""A keyring backend that never answers, like a Secret Service stuck behind a prompt.

Select it in a child process with
``PYTHON_KEYRING_BACKEND=tests.helpers.blocking_keyring.BlockingKeyring``.
"""

from __future__ import annotations

import threading
from typing import NoReturn

from keyring.backend import KeyringBackend


def _block_forever() -> NoReturn:
    threading.Event().wait()
    raise AssertionError("unreachable: nothing ever sets the event")


class BlockingKeyring(KeyringBackend):
    """Recommended by priority, but every call blocks forever."""

    priority = 5  # keyring declares a classproperty; a plain value serves

    def get_password(self, service: str, username: str) -> str | None:
        """Block forever."""
        _block_forever()

    def set_password(self, service: str, username: str, password: str) -> None:
        """Block forever."""
        _block_forever()

    def delete_password(self, service: str, username: str) -> None:
        """Block forever."""
        _block_forever()
