"""The agent's socket protocol: malformed input gets an error reply; many clients at once."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from glassdome.primitives import agent_wire as wire
from tests.agent.support import raw_exchange, status
from tests.cli.runner import Cli
from tests.threads import run_in_threads


def _framed(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


@pytest.mark.parametrize(
    ("payload", "answer"),
    [
        (_framed(b"not json at all"), "not JSON"),
        (_framed(b"\xff\xfe\x00garbage"), "not JSON"),
        (_framed(b"[1, 2, 3]"), "not a JSON object"),
        (_framed(b'{"op": "status"}'), "protocol version"),
        (_framed(b'{"v": 99, "op": "status"}'), "protocol version"),
        (_framed(b'{"v": 1, "op": "launch missiles"}'), "unknown operation"),
        (_framed(b'{"v": 1, "op": "get", "name": "alpha"}'), "names no store"),
        (_framed(b'{"v": 1, "op": "get", "store": 7}'), "names no store"),
        (_framed(b'{"v": 1, "op": "hold", "store": {"home": "/", "backend": "file"}}'), "hold"),
        (struct.pack(">I", 2 * wire.MAX_MESSAGE) + b"{}", "above the limit"),
        (_framed(b"[" * 100_000 + b"]" * 100_000), "not JSON"),
    ],
    ids=[
        "text",
        "binary",
        "array",
        "no-version",
        "future-version",
        "unknown-op",
        "no-store",
        "store-not-object",
        "hold-without-key",
        "oversized",
        "deeply-nested",
    ],
)
def test_a_malformed_request_gets_an_error_and_the_agent_stays_up(
    unlocked: Cli, runtime: Path, payload: bytes, answer: str
):
    reply = raw_exchange(runtime / "glassdome" / "agent.sock", payload)
    assert reply["ok"] is False
    assert answer in reply["message"]
    assert unlocked.get("alpha", unset=("GLASSDOME_MASTER_PASSWORD",)) == "value-of-alpha"


def test_a_request_for_a_store_it_does_not_hold_is_not_held(unlocked: Cli, tmp_path: Path):
    store = wire.store_id(tmp_path / "elsewhere", "file")
    reply = wire.request({"op": "get", "store": store, "name": "alpha"})
    assert (reply["ok"], reply["error"]) == (False, "not-held")
    assert "value-of-alpha" not in json.dumps(reply)


def test_eight_clients_fifty_gets_each_are_all_answered_right(unlocked: Cli):
    store = wire.store_id(unlocked.home, "file")
    expected = {"alpha": "value-of-alpha", "beta": "value-of-beta"}

    def client(number: int) -> None:
        for turn in range(50):
            name = ("alpha", "beta")[(number + turn) % 2]
            reply = wire.request({"op": "get", "store": store, "name": name})
            assert reply == {"v": 1, "ok": True, "value": expected[name]}

    run_in_threads(client, [(n,) for n in range(8)])
    assert status() is not None
