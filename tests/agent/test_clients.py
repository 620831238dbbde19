"""Everything that reads the store uses an unlocked agent: the fast `secrets get`, Python, play."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.agent.support import NO_PASSWORD
from tests.cli.runner import Cli

HEAVY = ("pydantic", "rich", "cryptography", "glassdome.backends", "glassdome.core")
# What `glassdome secrets get NAME` imports when the agent answers it.
PROBE = f"""
import json, os, sys
from glassdome.entry import agent_get
value = agent_get(sys.argv[1:], os.environ)
heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))
print(json.dumps({{"value": value, "heavy": heavy}}))
"""


def _probe(cli: Cli, *argv: str, **extra: str) -> dict[str, object]:
    result = cli.run([sys.executable, "-c", PROBE, *argv], unset=NO_PASSWORD, **extra)
    assert result.code == 0, str(result)
    found: dict[str, object] = json.loads(result.out)
    return found


def test_secrets_get_from_the_agent_imports_no_pydantic_rich_cryptography_or_backend(
    unlocked: Cli,
):
    assert _probe(unlocked, "secrets", "get", "ALPHA") == {"value": "value-of-alpha", "heavy": []}


def test_the_fast_path_steps_aside_when_the_agent_cannot_answer(unlocked: Cli):
    assert _probe(unlocked, "secrets", "get", "missing")["value"] is None
    assert _probe(unlocked, "secrets", "get", "alpha", GLASSDOME_AGENT="off")["value"] is None
    assert _probe(unlocked, "secrets", "get", "alpha", GLASSDOME_HOME="/nowhere")["value"] is None
    missing = unlocked("secrets", "get", "missing", unset=NO_PASSWORD)
    assert missing.code == 1
    assert "no secret named 'missing'" in missing.err


def test_python_code_and_settings_read_through_the_agent(unlocked: Cli):
    unlocked.set("proxmox_token_value", "token-from-the-store", unset=NO_PASSWORD)
    code = (
        "from glassdome.core.secrets import get_secrets_manager\n"
        "from glassdome.core.config import get_settings\n"
        "print(get_secrets_manager().get_secret('alpha'))\n"
        "print(get_settings().proxmox_token_value.get_secret_value())\n"
    )
    result = unlocked.run([sys.executable, "-c", code], unset=NO_PASSWORD)
    assert result.code == 0, str(result)
    assert result.out == "value-of-alpha\ntoken-from-the-store\n"


def test_a_play_of_secret_steps_needs_no_password_with_the_agent(unlocked: Cli, work: Path):
    steps = []
    for number in range(10):
        steps.append(
            f"  - {{id: set{number}, uses: secret.set, "
            f"with: {{name: played_{number}, value: 'value-{number}'}}}}"
        )
        steps.append(
            f"  - {{id: check{number}, uses: assert, "
            f"with: {{that: \"secret('played_{number}') == 'value-{number}'\"}}}}"
        )
    playbook = work / "twenty.yml"
    playbook.write_text("name: twenty secret steps\nsteps:\n" + "\n".join(steps) + "\n")
    # Without a password source, a single derivation would fail the run.
    result = unlocked("play", str(playbook), unset=NO_PASSWORD)
    assert result.code == 0, str(result)
    assert unlocked.get("played_9", GLASSDOME_AGENT="off") == "value-9"


def test_the_agent_process_has_no_secret_in_its_arguments_or_environment(unlocked: Cli):
    from tests.agent.support import agent_pids

    (pid,) = agent_pids(Path(unlocked.env()["XDG_RUNTIME_DIR"]))
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    environ = Path(f"/proc/{pid}/environ").read_bytes()
    for seen in (cmdline, environ):
        assert b"correct horse battery" not in seen
        assert b"GLASSDOME_MASTER_PASSWORD" not in seen
        assert b"value-of-alpha" not in seen
    assert b"glassdome.agent" in cmdline
    limits = Path(f"/proc/{pid}/limits").read_text()
    assert any(
        line.startswith("Max core file size") and " 0 " in line for line in limits.splitlines()
    )
