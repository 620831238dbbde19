"""The Proxmox VE wizard when something fails: one line with PVE's message or the TLS
reason, nothing stored and nothing sent that should not be."""

from __future__ import annotations

import socket

from tests.playbook.support import stored
from tests.setup.peers.pve_auth import totp
from tests.setup.peers.pve_server import PveServer
from tests.setup.peers.pve_state import User
from tests.setup.proxmox.wizard import (
    ENV_BEFORE,
    PASSWORD,
    assert_no_leaks,
    base_answers,
    env_text,
    env_values,
    failure,
    token_value,
    with_password,
    wizard,
)
from tests.setup.support import WizardCli


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
