"""The OS keyring through the agent: values it read are cached; any glassdome write empties it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.agent.support import stop_agents
from tests.cli.runner import Cli
from tests.secret_service import KEYRING_BACKEND, secret_service

CHANGE_BEHIND_GLASSDOME = "import keyring; keyring.set_password('glassdome', 'alpha', 'changed')"


def test_keyring_values_are_served_by_the_agent_until_a_glassdome_write(agent: Cli, tmp_path: Path):
    with secret_service(tmp_path / "keyring") as bus:
        extra = {
            **bus,
            "GLASSDOME_SECRETS_BACKEND": "keyring",
            "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND,
        }
        runtime = Path(bus["XDG_RUNTIME_DIR"])
        try:
            agent.set("alpha", "first", **extra)
            unlocked = agent("unlock", **extra)
            assert unlocked.code == 0, str(unlocked)
            shown = json.loads(agent("agent", "status", "--json", **extra).out)
            assert [s["backend"] for s in shown["stores"]] == ["keyring"]
            assert agent.get("alpha", **extra) == "first"
            changed = agent.run([sys.executable, "-c", CHANGE_BEHIND_GLASSDOME], **extra)
            assert changed.code == 0, str(changed)
            # Served from the agent's cache: the keyring itself is not asked again ...
            assert agent.get("alpha", **extra) == "first"
            # ... until glassdome writes through the agent, which empties the cache.
            agent.set("beta", "second", **extra)
            assert agent.get("alpha", **extra) == "changed"
            # A glassdome process that keeps away from the agent empties it too.
            agent.set("alpha", "written-around-the-agent", GLASSDOME_AGENT="off", **extra)
            assert agent.get("alpha", **extra) == "written-around-the-agent"
            assert agent.names(**extra) == ["alpha", "beta"]
            assert agent("lock", **extra).code == 0
            assert agent.get("beta", **extra) == "second"  # the keyring, read directly
        finally:
            stop_agents(agent, runtime)
