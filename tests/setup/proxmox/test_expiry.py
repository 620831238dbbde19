"""The Proxmox VE wizard records its token's expiry; `secrets show` and `doctor` see it.

The wizard runs against the test PVE server (tests/setup/peers), which keeps each token's
``expire`` (epoch seconds) as PVE does and lets a token read its own entry only with
User.Modify.
"""

from __future__ import annotations

import time

from tests.setup.expiry_support import assert_flagged_soon, days_from_now, doctor_expiry, shown
from tests.setup.peers.pve_server import PveServer
from tests.setup.peers.pve_state import User
from tests.setup.proxmox.wizard import base_answers, with_password, wizard
from tests.setup.support import WizardCli, assert_no_leak, step_events

DAY = 86_400


def _epoch_text(expire: int) -> str:
    from glassdome.steps.proxmox_expiry import expires_text

    text = expires_text(expire)
    assert text is not None
    return text


def test_a_token_created_with_a_lifetime_carries_its_expiry_and_doctor_flags_it(
    pve: PveServer, cli: WizardCli
):
    result = wizard(cli, base_answers(pve, expire_days=3), **with_password())
    assert result.code == 0, str(result)
    token = pve.state.tokens[("root@pam", "glassdome")]
    assert 2.9 < (token.expire - time.time()) / DAY <= 3  # PVE was told: now + 3 days
    expires = _epoch_text(token.expire)
    assert shown(cli, "proxmox_token_value")["expires"] == expires
    created = next(e for e in step_events(result) if e["id"] == "token")
    assert "create the token (expiring in 3 days)" in created["message"]
    assert_flagged_soon(cli, "proxmox_token_value", expires)
    assert_no_leak(token.value, cli.outputs)


def test_a_token_created_without_a_lifetime_never_expires(pve: PveServer, cli: WizardCli):
    result = wizard(cli, base_answers(pve), **with_password())
    assert result.code == 0, str(result)
    assert pve.state.tokens[("root@pam", "glassdome")].expire == 0
    assert not any("expire" in r.body for r in pve.requests if r.method == "POST")
    assert shown(cli, "proxmox_token_value")["expires"] is None
    assert doctor_expiry(cli, "proxmox_token_value") is None


def test_an_existing_token_that_may_read_itself_records_its_expire(pve: PveServer, cli: WizardCli):
    secret = pve.state.add_token("root@pam", "ci", privsep=0)
    pve.state.tokens[("root@pam", "ci")].expire = int(time.time()) + 5 * DAY
    answers = base_answers(pve, mode="existing", token_id="root@pam!ci")
    result = wizard(cli, answers, GLASSDOME_INPUT_TOKEN_VALUE=secret)
    assert result.code == 0, str(result)
    expires = _epoch_text(pve.state.tokens[("root@pam", "ci")].expire)
    assert ("GET", "/api2/json/access/users/root@pam/token/ci") in pve.calls()
    assert shown(cli, "proxmox_token_value")["expires"] == expires
    verify = next(e for e in step_events(result) if e["id"] == "verify")
    assert f"expires {expires}" in verify["message"]
    assert 4.9 < days_from_now(expires) <= 5
    assert_flagged_soon(cli, "proxmox_token_value", expires)
    assert_no_leak(secret, cli.outputs)


def test_an_existing_token_refused_its_own_entry_records_no_expiry_and_goes_on(
    pve: PveServer, cli: WizardCli
):
    pve.state.users["lab@pve"] = User("unused")
    secret = pve.state.add_token("lab@pve", "ci")  # privilege separation: only its own ACL
    pve.state.tokens[("lab@pve", "ci")].expire = int(time.time()) + 5 * DAY
    for kind, ugid in (("user", "lab@pve"), ("token", "lab@pve!ci")):
        pve.state.acl.append(
            {"path": "/", "roleid": "PVEVMAdmin", "type": kind, "ugid": ugid, "propagate": 1}
        )
    answers = base_answers(pve, mode="existing", token_id="lab@pve!ci", user="lab@pve")
    result = wizard(cli, answers, GLASSDOME_INPUT_TOKEN_VALUE=secret)
    assert result.code == 0, str(result)
    verify = next(e for e in step_events(result) if e["id"] == "verify")
    assert "its expiry is not readable with the token alone (none recorded)" in verify["message"]
    assert shown(cli, "proxmox_token_value")["expires"] is None
    assert doctor_expiry(cli, "proxmox_token_value") is None


def test_a_lifetime_out_of_range_is_refused_before_anything_is_sent(pve: PveServer, cli: WizardCli):
    result = wizard(cli, base_answers(pve, expire_days=5000), **with_password())
    assert result.code == 3, str(result)
    assert "expire_days: must be at most 3650" in result.err
    assert pve.calls() == []
