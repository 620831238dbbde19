"""A remote backend (OpenBao) through the agent: cached only on request, emptied by writes."""

from __future__ import annotations

import json

# The fixtures: the session's OpenBao server, this test's own prefix, and a token for it.
from tests.backends.openbao import openbao as openbao
from tests.backends.remote import prefix as prefix
from tests.backends.remote import token_env as token_env
from tests.cli.runner import Cli

CACHE = {"GLASSDOME_AGENT_CACHE_REMOTE": "60"}


def test_vault_values_are_cached_by_the_agent_only_when_asked(
    agent: Cli, token_env: dict[str, str]
):
    extra = {**token_env, "GLASSDOME_SECRETS_BACKEND": "vault"}
    agent.set("alpha", "first", **extra)
    refused = agent("unlock", **extra)
    assert refused.code == 1
    assert "GLASSDOME_AGENT_CACHE_REMOTE" in refused.err
    assert agent("agent", "status").out.startswith("The unlock agent is not running")
    unlocked = agent("unlock", **extra, **CACHE)
    assert unlocked.code == 0, str(unlocked)
    shown = json.loads(agent("agent", "status", "--json").out)
    assert [s["backend"] for s in shown["stores"]] == ["vault"]
    assert token_env["VAULT_TOKEN"] not in json.dumps(shown)
    assert agent.get("alpha", **extra) == "first"
    agent.set("alpha", "second", GLASSDOME_AGENT="off", **extra)  # not through the agent
    assert agent.get("alpha", **extra) == "first"  # its cache
    agent.set("beta", "third", **extra)  # through the agent: the cache is emptied
    assert agent.get("alpha", **extra) == "second"
    assert agent.names(**extra) == ["alpha", "beta"]
