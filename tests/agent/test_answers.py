"""Whatever a client sends, the agent answers with a reply (a Hypothesis property, in process)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from glassdome.agent.server import Agent

OPS = ["status", "holds", "hold", "get", "names", "get_meta", "all_meta", "set", "delete", "x"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
STORE = st.fixed_dictionaries(
    {"home": st.sampled_from(["/nonexistent/glassdome", "relative", ""]) | JSON},
    optional={"backend": st.sampled_from(["file", "nope"]) | JSON, "key_id": JSON},
)
MESSAGE = st.fixed_dictionaries(
    {"op": st.sampled_from(OPS) | JSON},
    optional={
        "store": STORE | JSON,
        "name": st.text(max_size=30) | JSON,
        "items": st.dictionaries(st.text(max_size=8), st.text(max_size=8)) | JSON,
        "meta": JSON,
        "data_key": st.text(max_size=60) | JSON,
        "timeout": JSON,
        "env": JSON,
        "cache": JSON,
    },
)


@settings(max_examples=300, deadline=None)
@given(message=MESSAGE)
def test_any_request_gets_a_reply_and_never_an_exception(message: dict[str, object]):
    agent = Agent(Path("/nonexistent/agent.sock"), 60.0, 60.0)
    try:
        reply = agent.answer(message)
    finally:
        os.close(agent._wake_read)
        os.close(agent._wake_write)
    assert isinstance(reply["ok"], bool)
    json.dumps(reply)  # it can be sent
    if not reply["ok"]:
        assert reply["error"] in {"bad-request", "not-held", "failed"}
