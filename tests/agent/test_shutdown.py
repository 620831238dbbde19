"""The agent exits only after the replies in flight are sent (in process)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from glassdome.agent import server
from glassdome.agent.server import Agent
from glassdome.primitives import agent_wire as wire
from tests.cli.runner import Cli

GUARD = 10.0


def test_the_lock_reply_is_sent_before_the_agent_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    folder = tmp_path / "glassdome"
    folder.mkdir(mode=0o700)
    agent = Agent(folder / wire.SOCKET_NAME, 60.0, 60.0)
    answer, sent = agent.answer, threading.Event()

    def slow_answer(message: dict[str, Any]) -> dict[str, Any]:
        reply = answer(message)
        time.sleep(0.3)  # the worker is preempted after it woke the loop to stop
        return reply

    def send_and_note(sock: Any, message: Any) -> None:
        wire.send(sock, message)
        sent.set()

    monkeypatch.setattr(agent, "answer", slow_answer)
    monkeypatch.setattr(server, "send", send_and_note)
    env = {"XDG_RUNTIME_DIR": str(tmp_path), "GLASSDOME_AGENT": "on"}
    replies: list[dict[str, Any]] = []

    def client() -> None:
        deadline = time.monotonic() + GUARD
        while not (folder / wire.SOCKET_NAME).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        replies.append(wire.request({"op": "stop"}, env, timeout=GUARD))

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    assert agent.serve() == 0
    assert sent.is_set()  # the process would exit here: the reply had to be out already
    thread.join(GUARD)
    assert [reply["ok"] for reply in replies] == [True]


def test_lock_does_not_say_none_ran_when_one_took_the_request_and_went(agent: Cli, runtime: Path):
    folder = runtime / "glassdome"
    folder.mkdir(mode=0o700)
    path = folder / wire.SOCKET_NAME
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    path.chmod(0o600)
    listener.listen(1)
    listener.settimeout(GUARD)

    def quiet_agent() -> None:  # takes the request, exits without a reply
        with listener:
            conn, _ = listener.accept()
            with conn:
                wire.receive(conn)
            path.unlink()

    thread = threading.Thread(target=quiet_agent, daemon=True)
    thread.start()
    result = agent("lock")
    thread.join(GUARD)
    assert result.code == 0, str(result)
    assert "Locked: the unlock agent forgot every store" in result.err
