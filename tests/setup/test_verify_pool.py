"""`glassdome verify` runs its checks side by side: proved by the peer, never by a clock.

The peer answers as OpenAI does, but holds each answer until every expected
request has arrived (a barrier with a bound) and records how many requests were
in flight at once. Checks made one after another could never overlap.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from glassdome.core.secrets import get_secrets_manager, reset_secrets_manager
from glassdome.primitives.meta import SecretMeta
from tests.setup.peers.ai_servers import Certificates, OpenAiServer, Seen
from tests.setup.support import WizardCli, assert_no_leak, work_folder

CHECKS = 4
NAMES = [f"openai_api_key{suffix}" for suffix in ("", "_ci", "_lab", "_docs")][:CHECKS]


class HoldingServer(OpenAiServer):
    """OpenAI's ``/v1/models``, answered only once *parties* requests are in flight."""

    def __init__(self, certificates: Certificates, keys: set[str], parties: int) -> None:
        super().__init__(certificates, keys)
        self.barrier = threading.Barrier(parties, timeout=10)  # bounded: never hangs a test
        self.in_flight = 0
        self.most_in_flight = 0

    def answer(self, seen: Seen) -> tuple[int, Any]:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the requests came one by one: answer anyway, the count tells
        finally:
            with self.lock:
                self.in_flight -= 1
        return super().answer(seen)


@pytest.fixture
def keys() -> list[str]:
    return ["sk-proj-" + secrets.token_urlsafe(40) for _ in NAMES]


@pytest.fixture
def peer(tmp_path: Path, keys: list[str]) -> Iterator[HoldingServer]:
    with HoldingServer(Certificates(tmp_path), set(keys), CHECKS) as server:
        yield server


def test_checks_against_a_slow_peer_are_in_flight_together(
    home: Path,
    tmp_path: Path,
    keys: list[str],
    peer: HoldingServer,
    password_env: str,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("GLASSDOME_SECRETS_BACKEND", "file")
    manager = get_secrets_manager()
    for name, key in zip(NAMES, keys, strict=True):
        record = SecretMeta(platform="openai", identity={"base_url": f"{peer.base}/v1"})
        manager.set_secret(name, key, meta=record)
    reset_secrets_manager()
    ca_file = Path(tmp_path / "ai-test-ca.pem")
    env = f"OPENAI_BASE_URL={peer.base}/v1\nOPENAI_CA_FILE={ca_file}\n"
    cli = WizardCli(home=home, cwd=work_folder(tmp_path, env), wizard="ai")
    result = cli("verify", "--json")
    assert result.code == 0, str(result)
    assert result.out.count('"result": "ok"') == CHECKS
    assert len(peer.seen) == CHECKS
    assert peer.most_in_flight == CHECKS  # every check was waiting on the peer at once
    for key in keys:
        assert_no_leak(key, [result.out, result.err])
