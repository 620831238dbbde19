"""`glassdome unlock`, `lock` and `agent status|stop` with a real agent process."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from tests.agent.support import NO_PASSWORD, agent_pids, status, wait_until_gone
from tests.cli.runner import Cli
from tests.conftest import PASSWORD

NEEDS_PASSWORD = "needs its master password"


def test_after_unlock_a_process_with_no_password_source_reads_and_writes(unlocked: Cli):
    result = unlocked("secrets", "get", "alpha", unset=NO_PASSWORD)
    assert (result.code, result.out) == (0, "value-of-alpha\n"), str(result)
    unlocked.set("gamma", "value-of-gamma", unset=NO_PASSWORD)
    assert unlocked.names(unset=NO_PASSWORD) == ["alpha", "beta", "gamma"]
    deleted = unlocked("secrets", "delete", "beta", "--yes", unset=NO_PASSWORD)
    assert deleted.code == 0, str(deleted)
    # What went through the agent is on disk: a process that does not use it reads it too.
    assert unlocked.names(GLASSDOME_AGENT="off") == ["alpha", "gamma"]
    assert unlocked.get("gamma", GLASSDOME_AGENT="off") == "value-of-gamma"


def test_a_write_made_without_the_agent_is_seen_through_it(unlocked: Cli):
    unlocked.set("alpha", "changed-elsewhere", GLASSDOME_AGENT="off")
    assert unlocked.get("alpha", unset=NO_PASSWORD) == "changed-elsewhere"


def test_lock_forgets_and_then_get_needs_the_password_again(unlocked: Cli, runtime: Path):
    locked = unlocked("lock")
    assert locked.code == 0, str(locked)
    assert "Locked" in locked.err
    assert wait_until_gone(runtime)
    result = unlocked("secrets", "get", "alpha", unset=NO_PASSWORD)
    assert result.code == 1
    assert NEEDS_PASSWORD in result.err
    assert len(result.err_lines) == 1, str(result)


def test_status_says_what_is_held_and_never_a_value(unlocked: Cli, home: Path):
    shown = json.loads(unlocked("agent", "status", "--json").out)
    assert shown["running"] is True
    assert [(s["home"], s["backend"]) for s in shown["stores"]] == [
        (os.path.realpath(home), "file")
    ]
    assert 0 < shown["idle_left"] <= 15 * 60
    text = unlocked("agent", "status")
    assert "holds 1 store(s)" in text.out
    for shown_text in (text.out, text.err, json.dumps(shown)):
        assert "value-of-alpha" not in shown_text
        assert PASSWORD not in shown_text


def test_status_and_lock_without_an_agent_say_so(agent: Cli):
    assert json.loads(agent("agent", "status", "--json").out) == {"running": False}
    assert "not running" in agent("agent", "status").out
    result = agent("lock")
    assert (result.code, "No unlock agent was running" in result.err) == (0, True)


def test_a_wrong_password_exits_1_and_starts_no_agent(agent: Cli, runtime: Path):
    agent.set("alpha", "value-of-alpha")
    result = agent("unlock", GLASSDOME_MASTER_PASSWORD="not the password")
    assert result.code == 1
    assert "wrong master password" in result.err
    assert agent_pids(runtime) == []


def test_a_wrong_password_leaves_a_running_agent_as_it_was(unlocked: Cli):
    before = status()
    result = unlocked("unlock", GLASSDOME_MASTER_PASSWORD="not the password")
    assert result.code == 1
    after = status()
    assert before is not None
    assert after is not None
    assert (after["pid"], after["stores"]) == (before["pid"], before["stores"])
    assert unlocked.get("alpha", unset=NO_PASSWORD) == "value-of-alpha"


def test_unlock_without_a_store_says_how_to_make_one(agent: Cli, runtime: Path):
    result = agent("unlock")
    assert result.code == 1
    assert "no store" in result.err
    assert "glassdome secrets set" in result.err
    assert agent_pids(runtime) == []


def test_the_idle_timeout_locks_the_store(agent: Cli, runtime: Path):
    agent.set("alpha", "value-of-alpha")
    assert agent("unlock", "--timeout", "2s").code == 0
    assert agent_pids(runtime)
    assert wait_until_gone(runtime)
    assert not (runtime / "glassdome" / "agent.sock").exists()
    assert agent("secrets", "get", "alpha", unset=NO_PASSWORD).code == 1


def test_a_bad_duration_is_a_usage_error(agent: Cli):
    result = agent("unlock", "--timeout", "soon")
    assert result.code == 2
    assert "not a duration" in result.err


def test_sigterm_forgets_and_removes_the_socket(unlocked: Cli, runtime: Path):
    (pid,) = agent_pids(runtime)
    os.kill(pid, signal.SIGTERM)
    assert wait_until_gone(runtime)
    assert not (runtime / "glassdome" / "agent.sock").exists()


def test_after_sigkill_clients_fall_back_and_unlock_replaces_the_stale_socket(
    unlocked: Cli, runtime: Path
):
    (pid,) = agent_pids(runtime)
    os.kill(pid, signal.SIGKILL)
    assert wait_until_gone(runtime)
    assert (runtime / "glassdome" / "agent.sock").exists()  # stale: nobody answers on it
    assert unlocked.get("alpha") == "value-of-alpha"  # derives, as without an agent
    failed = unlocked("secrets", "get", "alpha", unset=NO_PASSWORD)
    assert failed.code == 1
    assert NEEDS_PASSWORD in failed.err
    assert len(failed.err_lines) == 1, str(failed)
    assert unlocked("unlock").code == 0
    assert unlocked.get("alpha", unset=NO_PASSWORD) == "value-of-alpha"


def test_glassdome_agent_off_never_uses_a_running_agent(unlocked: Cli):
    result = unlocked("secrets", "get", "alpha", unset=NO_PASSWORD, GLASSDOME_AGENT="off")
    assert result.code == 1
    assert NEEDS_PASSWORD in result.err


def test_passwd_while_unlocked_makes_the_agent_drop_the_store(unlocked: Cli, work: Path):
    new_password = work / "new-password"
    new_password.write_text("a brand new passphrase\n")
    changed = unlocked("secrets", "passwd", "--new-password-file", str(new_password))
    assert changed.code == 0, str(changed)
    result = unlocked("secrets", "get", "alpha", unset=NO_PASSWORD)
    assert result.code == 1
    assert NEEDS_PASSWORD in result.err
    held = status()
    assert held is not None
    assert held["stores"] == []
    new = {"GLASSDOME_MASTER_PASSWORD": "a brand new passphrase"}
    assert unlocked.get("alpha", **new) == "value-of-alpha"


def test_the_idle_timeout_comes_from_the_environment_and_the_lifetime_caps_it(
    agent: Cli, runtime: Path
):
    agent.set("alpha", "value-of-alpha")
    result = agent("unlock", "--max-lifetime", "2s", GLASSDOME_AGENT_TIMEOUT="10m")
    assert result.code == 0, str(result)
    shown = json.loads(agent("agent", "status", "--json").out)
    assert shown["timeout"] == 600
    assert shown["lifetime_left"] <= 2
    assert wait_until_gone(runtime)  # the lifetime ends it long before ten idle minutes
    assert agent("secrets", "get", "alpha", unset=NO_PASSWORD).code == 1


def test_invoke_unlock_and_lock_run_the_same_commands(agent: Cli, runtime: Path):
    agent.set("alpha", "value-of-alpha")
    unlocked = agent.invoke("unlock", "--timeout", "5m")
    assert unlocked.code == 0, str(unlocked)
    assert "stays unlocked until 5m without use" in unlocked.err
    assert agent.get("alpha", unset=NO_PASSWORD) == "value-of-alpha"
    assert "holds 1 store(s)" in agent.invoke("agent.status").out
    locked = agent.invoke("lock")
    assert (locked.code, "Locked" in locked.err) == (0, True), str(locked)
    assert wait_until_gone(runtime)
