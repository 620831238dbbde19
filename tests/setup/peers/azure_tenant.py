"""A fresh Azure tenant on the test peer (`tests.setup.peers.azure_server`), for one block."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.setup.peers.azure_server import AzurePeer

__all__ = ["tenant"]


@contextmanager
def tenant(client_secret: str, **more: Any) -> Iterator[AzurePeer]:
    """A new tenant, application and subscription on 127.0.0.1, stopped after the block."""
    server = AzurePeer(
        tenant_id=str(uuid.uuid4()),
        client_id=str(uuid.uuid4()),
        client_secret=client_secret,
        subscription_id=str(uuid.uuid4()),
        **more,
    ).start()
    try:
        yield server
    finally:
        server.stop()
