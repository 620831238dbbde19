"""The Proxmox VE wizard and a token that exists already: kept, refused without its
secret, or given as an existing token and only verified."""

from __future__ import annotations

from tests.playbook.support import stored
from tests.setup.peers.pve_server import PveServer
from tests.setup.proxmox.wizard import (
    ENV_BEFORE,
    PASSWORD,
    ROOT_ACL,
    assert_no_leaks,
    base_answers,
    env_text,
    env_values,
    failure,
    token_value,
    with_password,
    wizard,
)
from tests.setup.support import WizardCli, statuses

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
    """PVE shows a secret once: the wizard stops, names `rotate proxmox`, stores nothing."""
    old = pve.state.add_token("root@pam", "glassdome")
    result = wizard(cli, base_answers(pve), **with_password())
    message = failure(result)
    assert "root@pam!glassdome exists" in message
    assert "glassdome rotate proxmox" in message
    assert "mode=existing" in message
    assert stored(cli.home) == {}
    assert env_text(cli) == ENV_BEFORE
    assert token_value(pve) == old
    assert_no_leaks(result.out + result.err, PASSWORD, old)


def test_the_wizard_no_longer_takes_rotate(pve: PveServer, cli: WizardCli) -> None:
    """Deleting a token before its successor works is gone: `rotate` is an unknown input."""
    old = pve.state.add_token("root@pam", "glassdome")
    result = wizard(cli, base_answers(pve, rotate=True), **with_password())
    assert result.code != 0
    assert token_value(pve) == old
    assert stored(cli.home) == {}


# --- the existing-token mode ----------------------------------------------------------------


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
