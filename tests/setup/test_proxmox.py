"""The Proxmox VE wizard end to end, against a PVE API server on 127.0.0.1.

Every run is a real ``glassdome play playbooks/setup/proxmox.yml`` process (or
``invoke setup.proxmox``) with a file store in a temporary home; the server
(tests/setup/peers/pve_server.py) keeps users, tokens and ACLs in memory and
records every request, so the tests check the platform's side as well as the
store and the ``.env`` file.
"""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.cli.runner import Result, finish
from tests.playbook.support import SETTINGS_VARIABLES, events, stored
from tests.setup.peers.pve_auth import totp
from tests.setup.peers.pve_server import PveServer
from tests.setup.peers.pve_state import User
from tests.setup.support import WizardCli, assert_no_leak, statuses, step_events, work_folder

PASSWORD = 'Pve-pa55/w0rd+="q"\\x&y'
ENV_BEFORE = (
    "# lab settings, kept as they are\n"
    "export OTHER_SETTING='keep me'  # a comment\n"
    "\n"
    "PROXMOX_HOST=old.example\n"
    "MAIL_HOST=mail.lab\n"
)
# What the wizard grants root@pam!glassdome by default (privilege separation on).
ROOT_ACL = {
    "path": "/",
    "roleid": "PVEVMAdmin",
    "type": "token",
    "ugid": "root@pam!glassdome",
    "propagate": 1,
}
DEFAULT_KEYS = ("HOST", "PORT", "USER", "TOKEN_NAME", "NODE", "VERIFY_SSL", "TLS_FINGERPRINT")


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[PveServer]:
    """A PVE API server with root@pam (password PASSWORD) and one node, pve1."""
    with PveServer(tmp_path, password=PASSWORD) as server:
        yield server


@pytest.fixture
def cli(home: Path, tmp_path: Path) -> WizardCli:
    """glassdome with a fresh file store, run from a work folder holding ENV_BEFORE."""
    return WizardCli(home=home, cwd=work_folder(tmp_path, ENV_BEFORE), wizard="proxmox")


def wizard(cli: WizardCli, answers: Mapping[str, Any], *args: str, **env: str) -> Result:
    """Run the wizard without a terminal from an answers file (plus *env* variables)."""
    path = cli.write_answers(answers)
    argv = ["--answers", str(path), "--no-input", "--json", *args]
    return cli.play(*argv, unset=SETTINGS_VARIABLES, **env)


def base_answers(pve: PveServer, **more: Any) -> dict[str, Any]:
    """Host, port and the pinned fingerprint given in advance (non-interactive TLS)."""
    return {"host": "127.0.0.1", "port": pve.port, "fingerprint": pve.fingerprint, **more}


def with_password(**env: str) -> dict[str, str]:
    return {"GLASSDOME_INPUT_PASSWORD": PASSWORD, **env}


def failure(result: Result) -> str:
    """The one failed step's message; asserts exit 1, one line, no traceback."""
    assert result.code == 1, str(result)
    failed = [e for e in events(result) if e["event"] == "step" and e["status"] == "failed"]
    assert len(failed) == 1, str(result)
    message = str(failed[0]["message"])
    assert "\n" not in message, str(result)
    assert "Traceback" not in result.err, str(result)
    return message


def env_text(cli: WizardCli) -> str:
    return (cli.cwd / ".env").read_text(encoding="utf-8")


def env_values(cli: WizardCli) -> dict[str, str | None]:
    from dotenv import dotenv_values

    return dict(dotenv_values(cli.cwd / ".env"))


def outside(text: str, keys: list[str]) -> list[str]:
    """The lines of a .env text that bind none of *keys*."""
    pattern = re.compile(r"\s*(export\s+)?(" + "|".join(keys) + r")\s*=")
    return [line for line in text.splitlines(keepends=True) if not pattern.match(line)]


def assert_kept(cli: WizardCli, prefix: str) -> None:
    """Every line of ENV_BEFORE the wizard had no business with is there, byte for byte."""
    keys = [prefix + key for key in (*DEFAULT_KEYS, "CA_FILE")]
    assert outside(env_text(cli), keys) == outside(ENV_BEFORE, keys)


def assert_no_leaks(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert_no_leak(secret, [text])


def token_value(pve: PveServer, tokenid: str = "glassdome", userid: str = "root@pam") -> str:
    return pve.state.tokens[(userid, tokenid)].value


# --- end to end ----------------------------------------------------------------------------


def test_interactive_run_confirms_the_fingerprint_creates_the_token_and_picks_a_node(
    tmp_path: Path, cli: WizardCli
) -> None:
    """Typed on a pseudo-terminal: confirm the shown fingerprint, pick pve2 of two nodes."""
    with PveServer(tmp_path, password=PASSWORD, nodes=("pve1", "pve2")) as pve:
        child = cli.spawn_play(unset=SETTINGS_VARIABLES)
        for prompt, answer in (
            (r"existing\] \(create\): ", ""),
            (r"host \(name or IP address\): ", "127.0.0.1"),
            (r"API port \(8006\): ", str(pve.port)),
            (r"\(fingerprint\): ", ""),
            (r"confirm it\) \(\): ", ""),
            (r"more servers\) \(\): ", ""),
            (r"belongs to \(root@pam\): ", ""),
        ):
            child.expect(prompt)
            child.sendline(answer)
        child.expect(r"stored only if you ask\): ")
        child.waitnoecho()
        child.sendline(PASSWORD)
        for prompt in ("two-factor", "secret store", "token id", "Privilege", "Role", "Path", "If"):
            child.expect(prompt + r".*: ")
            child.sendline("")
        child.expect(f"SHA-256 {re.escape(pve.fingerprint)}\\? \\[yes/no\\]: ")
        child.sendline("yes")
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


# --- a token that exists already -----------------------------------------------------------


def test_existing_token_with_its_secret_stored_is_ok(pve: PveServer, cli: WizardCli) -> None:
    """Token on the server, its secret in the store, its ACL granted: nothing to do."""
    secret = pve.state.add_token("root@pam", "glassdome")
    pve.state.acl.append(dict(ROOT_ACL))
    cli.set("proxmox_token_value", secret)
    result = wizard(cli, base_answers(pve), **with_password())
    assert result.code == 0, str(result)
    assert statuses(result)["token"] == "ok"
    assert ("POST", "/api2/json/access/users/root@pam/token/glassdome") not in pve.calls()
    assert token_value(pve) == secret
    assert stored(cli.home) == {"proxmox_token_value": secret}


def test_existing_token_without_its_secret_fails_saying_what_to_do(
    pve: PveServer, cli: WizardCli
) -> None:
    """PVE shows a secret once: without it the wizard stops, names rotate, stores nothing."""
    old = pve.state.add_token("root@pam", "glassdome")
    result = wizard(cli, base_answers(pve), **with_password())
    message = failure(result)
    assert "root@pam!glassdome exists" in message
    assert "rotate=true" in message
    assert "mode=existing" in message
    assert stored(cli.home) == {}
    assert env_text(cli) == ENV_BEFORE
    assert token_value(pve) == old
    assert_no_leaks(result.out + result.err, PASSWORD, old)


def test_rotate_deletes_and_recreates_the_token_and_stores_the_new_secret(
    pve: PveServer, cli: WizardCli
) -> None:
    """rotate=true: DELETE, POST, ACL again; the store holds the new secret."""
    old = pve.state.add_token("root@pam", "glassdome")
    result = wizard(cli, base_answers(pve, rotate=True), **with_password())
    assert result.code == 0, str(result)
    new = token_value(pve)
    assert new != old
    token_path = "/api2/json/access/users/root@pam/token/glassdome"
    writes = [c for c in pve.calls() if c[0] != "GET" and "ticket" not in c[1]]
    assert writes == [
        ("DELETE", token_path),
        ("POST", token_path),
        ("PUT", "/api2/json/access/acl"),
    ]
    assert stored(cli.home) == {"proxmox_token_value": new}
    assert_no_leaks(result.out + result.err, PASSWORD, old, new)


# --- instances and the existing-token mode ------------------------------------------------


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


def test_existing_token_mode_verifies_with_the_token_alone_and_never_logs_in(
    pve: PveServer, cli: WizardCli
) -> None:
    """mode existing: no /access/ticket; the secret is checked, then stored."""
    secret = pve.state.add_token("root@pam", "ci", privsep=0)
    answers = base_answers(pve, mode="existing", token_id="root@pam!ci")
    result = wizard(cli, answers, GLASSDOME_INPUT_TOKEN_VALUE=secret)
    assert result.code == 0, str(result)
    assert statuses(result)["token"] == "skipped"
    assert statuses(result)["verify"] == "changed"
    assert not [call for call in pve.calls() if call[1].endswith("/access/ticket")]
    assert stored(cli.home) == {"proxmox_token_value": secret}
    assert env_values(cli)["PROXMOX_TOKEN_NAME"] == "ci"
    assert_no_leaks(result.out + result.err, secret)
    again = wizard(cli, answers, GLASSDOME_INPUT_TOKEN_VALUE=secret)
    assert set(statuses(again).values()) <= {"ok", "skipped"}, str(again)


def test_existing_token_mode_with_a_wrong_secret_stores_nothing(
    pve: PveServer, cli: WizardCli
) -> None:
    """A refused token: one line with PVE's message; the store stays empty."""
    pve.state.add_token("root@pam", "ci")
    wrong = "0b5e7a8c-1111-2222-3333-444455556666"
    answers = base_answers(pve, mode="existing", token_id="root@pam!ci")
    result = wizard(cli, answers, GLASSDOME_INPUT_TOKEN_VALUE=wrong)
    message = failure(result)
    assert "HTTP 401 invalid token value!" in message
    assert stored(cli.home) == {}
    assert env_text(cli) == ENV_BEFORE
    assert_no_leaks(result.out + result.err, wrong)


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


# --- failures: one line, nothing stored ----------------------------------------------------


def test_wrong_password_is_one_line_with_pves_message_and_stores_nothing(
    pve: PveServer, cli: WizardCli
) -> None:
    wrong = PASSWORD + "-wrong"
    result = wizard(cli, base_answers(pve), GLASSDOME_INPUT_PASSWORD=wrong)
    message = failure(result)
    assert message == (
        f"127.0.0.1:{pve.port}: login as root@pam refused: HTTP 401 authentication failure"
    )
    assert stored(cli.home) == {}
    assert env_text(cli) == ENV_BEFORE
    assert pve.state.tokens == {}
    assert_no_leaks(result.out + result.err, wrong)


def test_totp_user_logs_in_in_two_steps(pve: PveServer, cli: WizardCli) -> None:
    """NeedTFA, then tfa-challenge with totp:CODE; without a code: one line saying so."""
    secret = b"glassdome-totp-test-secret"
    pve.state.users["root@pam"] = User(PASSWORD, totp_secret=secret)
    missing = wizard(cli, base_answers(pve), **with_password())
    assert "two-factor authentication" in failure(missing)
    assert stored(cli.home) == {}

    answers = base_answers(pve, tfa=True, store_password=True)
    result = wizard(cli, answers, **with_password(GLASSDOME_INPUT_OTP=totp(secret)))
    assert result.code == 0, str(result)
    tickets = [r for r in pve.requests if r.path.endswith("/access/ticket")]
    assert "tfa-challenge=" in tickets[-1].body
    assert "password=totp%3A" in tickets[-1].body
    assert stored(cli.home) == {
        "proxmox_token_value": token_value(pve),
        "proxmox_password": PASSWORD,
    }


def test_a_wrong_pinned_fingerprint_fails_before_the_password_is_sent(
    pve: PveServer, cli: WizardCli
) -> None:
    """The pin is checked in the handshake: the server never sees a request."""
    result = wizard(cli, base_answers(pve, fingerprint="AB:" * 31 + "AB"), **with_password())
    message = failure(result)
    assert message == (
        f"127.0.0.1:{pve.port}: TLS certificate mismatch: the server's SHA-256 is not the "
        "pinned fingerprint (nothing was sent)"
    )
    assert pve.calls() == []
    assert_no_leaks(pve.received_text(), PASSWORD)
    assert stored(cli.home) == {}
    assert env_text(cli) == ENV_BEFORE


def test_a_fingerprint_that_is_not_trusted_stops_before_anything_is_sent(
    pve: PveServer, cli: WizardCli
) -> None:
    """No fingerprint given and the shown one refused (answer trust_fingerprint=no)."""
    answers = {"host": "127.0.0.1", "port": pve.port, "trust_fingerprint": "no"}
    result = wizard(cli, answers, **with_password())
    assert failure(result).startswith("the certificate was not trusted")
    assert pve.calls() == []
    assert stored(cli.home) == {}


def test_tls_ca_file_works_and_system_ca_verification_fails_before_sending(
    pve: PveServer, cli: WizardCli
) -> None:
    """tls: ca trusts the per-run CA (stored as PROXMOX_CA_FILE); tls: verify does not."""
    refused = wizard(cli, base_answers(pve, tls="verify"), **with_password())
    assert "TLS certificate not trusted" in failure(refused)
    assert pve.calls() == []

    answers = base_answers(pve, tls="ca", ca_file=str(pve.ca_file))
    result = wizard(cli, answers, **with_password())
    assert result.code == 0, str(result)
    values = env_values(cli)
    assert values["PROXMOX_CA_FILE"] == str(pve.ca_file)
    assert "PROXMOX_TLS_FINGERPRINT" not in values


def test_insecure_is_explicit_and_warns(pve: PveServer, cli: WizardCli) -> None:
    result = wizard(cli, base_answers(pve, tls="insecure"), **with_password())
    assert result.code == 0, str(result)
    assert result.err.count("TLS certificate checks are OFF") == 1
    assert env_values(cli)["PROXMOX_VERIFY_SSL"] == "false"


def test_unreachable_servers_fail_in_one_line(cli: WizardCli) -> None:
    """Connection refused and an unresolvable name: one line each, nothing stored."""
    with socket.socket() as sock:  # bound, not listening: connecting is refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        refused = wizard(cli, {"host": "127.0.0.1", "port": port}, **with_password())
    assert "connection refused" in failure(refused)
    unknown = wizard(cli, {"host": "pve.invalid"}, **with_password())
    assert "name not resolved" in failure(unknown)
    assert stored(cli.home) == {}


def test_a_forbidden_acl_grant_keeps_the_stored_secret_and_shows_pves_message(
    pve: PveServer, cli: WizardCli
) -> None:
    """alice@pve may create her own token but not grant ACLs: 403, token already stored."""
    pve.state.users["alice@pve"] = User(PASSWORD)
    result = wizard(cli, base_answers(pve, user="alice@pve"), **with_password())
    message = failure(result)
    assert message.endswith("HTTP 403 Permission check failed (/, Permissions.Modify)")
    assert stored(cli.home) == {"proxmox_token_value": token_value(pve, userid="alice@pve")}


# --- node names from the server are validated before they reach a URL or .env --------------


@pytest.mark.parametrize("node", ["pve1", "PVE-2", "a", "n" * 63])
def test_a_valid_node_name_is_accepted_by_proxmox_settings(node: str):
    from glassdome.steps.proxmox_settings import SettingsArgs

    assert SettingsArgs(host="pve.lab", token_name="glassdome", node=node).node == node


@pytest.mark.parametrize(
    "node", ["pve1$(touch pwned)", "pve`id`", "pve 1", "-pve", "pve-", "pve.lab", "n" * 64, "é"]
)
def test_an_invalid_node_name_is_refused_by_proxmox_settings(node: str):
    from pydantic import ValidationError

    from glassdome.steps.proxmox_settings import SettingsArgs

    with pytest.raises(ValidationError):
        SettingsArgs(host="pve.lab", token_name="glassdome", node=node)


def test_proxmox_nodes_refuses_a_node_name_from_the_server_that_is_not_valid(
    monkeypatch: pytest.MonkeyPatch,
):
    from types import SimpleNamespace

    from glassdome.steps import proxmox_settings
    from glassdome.steps.base import StepFailed
    from glassdome.steps.proxmox_token import TokenArgs

    listed = [{"node": "pve1", "status": "online"}, {"node": "$(touch pwned)", "status": "online"}]
    api = SimpleNamespace(nodes=SimpleNamespace(get=lambda: listed))
    monkeypatch.setattr(proxmox_settings, "token_api", lambda *_: api)
    args = TokenArgs(host="pve.lab", token_value="secret")
    with pytest.raises(StepFailed, match=r"not a valid Proxmox VE node name"):
        proxmox_settings.Nodes().check(args, SimpleNamespace(verify=True))  # type: ignore[arg-type]
