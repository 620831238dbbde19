"""The Proxmox VE wizard end to end: on a terminal, from an answers file, by invoke, for a
second instance, and with --check and --no-verify (see `tests.setup.proxmox.wizard`)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tests.cli.runner import finish
from tests.playbook.support import SETTINGS_VARIABLES, stored
from tests.setup.peers.pve_server import PveServer
from tests.setup.proxmox.wizard import (
    ENV_BEFORE,
    PASSWORD,
    ROOT_ACL,
    assert_kept,
    assert_no_leaks,
    base_answers,
    env_text,
    env_values,
    token_value,
    with_password,
    wizard,
)
from tests.setup.support import WizardCli, statuses, step_events

# --- end to end ----------------------------------------------------------------------------


def test_interactive_run_confirms_the_fingerprint_creates_the_token_and_picks_a_node(
    tmp_path: Path, cli: WizardCli
) -> None:
    """Typed on a pseudo-terminal: confirm the shown fingerprint, pick pve2 of two nodes."""
    with PveServer(tmp_path, password=PASSWORD, nodes=("pve1", "pve2")) as pve:
        child = cli.spawn_play(unset=SETTINGS_VARIABLES)
        # Host and port, then the certificate is read and confirmed; the rest after that.
        for prompt, answer in (
            (r"host \(name or IP address\): ", "127.0.0.1"),
            (r"API port \(8006\): ", str(pve.port)),
            (r"\(fingerprint\): ", ""),
            (r"confirm it\) \(\): ", ""),
        ):
            child.expect(prompt)
            child.sendline(answer)
        child.expect(f"SHA-256 {re.escape(pve.fingerprint)}\\? \\[yes/no\\]: ")
        child.sendline("yes")
        for prompt, answer in (
            (r"existing\] \(create\): ", ""),
            (r"more servers\) \(\): ", ""),
            (r"belongs to \(root@pam\): ", ""),
        ):
            child.expect(prompt)
            child.sendline(answer)
        child.expect(r"stored only if you ask\): ")
        child.waitnoecho()
        child.sendline(PASSWORD)
        for prompt in (
            "two-factor",
            "secret store",
            "token id",
            "Privilege",
            "Role",
            "Path",
            "lifetime",
        ):
            child.expect(prompt + r".*: ")
            child.sendline("")
        child.expect(r"Node to use \[pve1/pve2\]: ")
        child.sendline("pve2")
        code, transcript = finish(child)
        assert code == 0, transcript
        secret = token_value(pve)
        assert pve.state.acl == [ROOT_ACL]
    assert stored(cli.home) == {"proxmox_token_value": secret}
    assert cli.get("proxmox_token_value") == secret
    values = env_values(cli)
    assert values["PROXMOX_NODE"] == "pve2"
    assert values["PROXMOX_TLS_FINGERPRINT"] == pve.fingerprint
    assert_kept(cli, "PROXMOX_")
    assert_no_leaks(transcript, PASSWORD, secret)


def test_answers_file_run_stores_the_token_and_a_second_run_changes_nothing(
    pve: PveServer, cli: WizardCli
) -> None:
    """Non-interactive: answers file plus GLASSDOME_INPUT_PASSWORD; then again: all ok."""
    first = wizard(cli, base_answers(pve), **with_password())
    assert first.code == 0, str(first)
    assert statuses(first)["token"] == "changed"
    assert statuses(first)["settings"] == "changed"
    secret = token_value(pve)
    assert stored(cli.home) == {"proxmox_token_value": secret}  # the password is not stored
    assert (
        env_values(cli).items()
        >= {
            "PROXMOX_HOST": "127.0.0.1",
            "PROXMOX_PORT": str(pve.port),
            "PROXMOX_USER": "root@pam",
            "PROXMOX_TOKEN_NAME": "glassdome",
            "PROXMOX_NODE": "pve1",
            "PROXMOX_VERIFY_SSL": "true",
            "PROXMOX_TLS_FINGERPRINT": pve.fingerprint,
        }.items()
    )
    assert_kept(cli, "PROXMOX_")
    env_after, calls_before = env_text(cli), len(pve.calls())

    second = wizard(cli, base_answers(pve), **with_password())
    assert second.code == 0, str(second)
    assert set(statuses(second).values()) <= {"ok", "skipped"}, str(second)
    assert env_text(cli) == env_after
    assert stored(cli.home) == {"proxmox_token_value": secret}
    writes = [c for c in pve.calls()[calls_before:] if c[0] != "GET" and "ticket" not in c[1]]
    assert writes == []
    assert_no_leaks(first.out + first.err + second.out + second.err, PASSWORD, secret)


def test_invoke_task_runs_the_same_wizard(pve: PveServer, cli: WizardCli) -> None:
    """`invoke setup.proxmox --answers ... --no-input` is the same playbook."""
    path = cli.write_answers(base_answers(pve))
    argv = ["setup.proxmox", "--answers", str(path), "--no-input"]
    result = cli.invoke(*argv, unset=SETTINGS_VARIABLES, **with_password())
    assert result.code == 0, str(result)
    assert stored(cli.home) == {"proxmox_token_value": token_value(pve)}


# --- a second instance, --check and --no-verify -------------------------------------------


def test_instance_02_writes_prefixed_settings_that_settings_reads_back(
    pve: PveServer, cli: WizardCli
) -> None:
    """instance 02: PROXMOX_02_* and proxmox_token_value_02, read back by Settings."""
    answers = base_answers(pve, instance="02", token_id="lab02", store_password=True)
    result = wizard(cli, answers, **with_password())
    assert result.code == 0, str(result)
    secret = token_value(pve, "lab02")
    assert stored(cli.home) == {"proxmox_token_value_02": secret, "proxmox_password_02": PASSWORD}
    values = env_values(cli)
    assert values["PROXMOX_HOST"] == "old.example"  # the main instance is not touched
    assert "PROXMOX_TOKEN_NAME" not in values
    assert_kept(cli, "PROXMOX_02_")
    script = (
        "import json; from glassdome.core.config import settings; "
        "i = settings.proxmox_instance('02'); "
        "print(json.dumps({'host': i.host, 'port': i.port, 'user': i.user, "
        "'token_name': i.token_name, 'node': i.node, 'verify_ssl': i.verify_ssl, "
        "'tls_fingerprint': i.tls_fingerprint, 'ca_file': i.ca_file, "
        "'token': i.token_value.get_secret_value()}))"
    )
    read = cli.run([sys.executable, "-c", script], unset=SETTINGS_VARIABLES)
    assert read.code == 0, str(read)
    assert json.loads(read.out) == {
        "host": "127.0.0.1",
        "port": pve.port,
        "user": "root@pam",
        "token_name": "lab02",
        "node": "pve1",
        "verify_ssl": True,
        "tls_fingerprint": pve.fingerprint,
        "ca_file": None,
        "token": secret,
    }


def test_check_mode_logs_in_but_changes_nothing(pve: PveServer, cli: WizardCli) -> None:
    """--check: the login and reads happen, no write reaches PVE, the store, or .env."""
    result = wizard(cli, base_answers(pve), "--check", **with_password())
    assert result.code == 0, str(result)
    assert statuses(result)["token"] == "changed"  # shown as "would change"
    # The token's secret is pending (its plan stores it): later steps know it comes.
    verify = next(event for event in step_events(result) if event["id"] == "verify")
    assert verify["status"] == "ok"
    assert verify["message"] == "root@pam!glassdome: not verified (a real run creates it)"
    assert statuses(result)["node"] == "skipped"  # no token yet: nothing to list
    assert [c for c in pve.calls() if c[0] != "GET" and "ticket" not in c[1]] == []
    assert pve.state.tokens == {}
    assert stored(cli.home) == {}
    assert env_text(cli) == ENV_BEFORE


def test_no_verify_stores_an_existing_token_without_asking_the_api(
    pve: PveServer, cli: WizardCli
) -> None:
    """--no-verify: no API request at all; the node is taken as given."""
    secret = "9a4c2f7e-5555-4444-8888-000011112222"
    answers = base_answers(pve, mode="existing", token_id="root@pam!ci", node="pve9")
    result = wizard(cli, answers, "--no-verify", GLASSDOME_INPUT_TOKEN_VALUE=secret)
    assert result.code == 0, str(result)
    assert pve.calls() == []
    assert stored(cli.home) == {"proxmox_token_value": secret}
    assert env_values(cli)["PROXMOX_NODE"] == "pve9"
    assert_no_leaks(result.out + result.err, secret)
