"""`glassdome rotate proxmox` against the test PVE server: a new token with the old one's ACL,
verified alone, stored, the old one deleted, .env updated; and every failure point leaves a
stored token that works."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.runner import Result
from tests.playbook.support import SETTINGS_VARIABLES, stored
from tests.setup.peers.pve_server import PveServer
from tests.setup.peers.pve_state import ApiError
from tests.setup.proxmox.wizard import (
    ENV_BEFORE,
    PASSWORD,
    ROOT_ACL,
    assert_no_leaks,
    base_answers,
    env_values,
    with_password,
    wizard,
)
from tests.setup.rotate.full_store import fill, small_tmpfs
from tests.setup.support import WizardCli, failed_step, statuses, work_folder

TOKENS = "/access/users/root@pam/token"


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[PveServer]:
    with PveServer(tmp_path, password=PASSWORD) as server:
        yield server


@pytest.fixture
def cli(home: Path, tmp_path: Path, pve: PveServer) -> WizardCli:
    return set_up(home, tmp_path, pve)


def set_up(home: Path, tmp_path: Path, pve: PveServer) -> WizardCli:
    """A lab set up by the wizard: root@pam!glassdome stored, PROXMOX_* in .env."""
    cli = WizardCli(home=home, cwd=work_folder(tmp_path, ENV_BEFORE), wizard="proxmox")
    result = wizard(cli, base_answers(pve), **with_password())
    assert result.code == 0, str(result)
    return cli


def rotate(cli: WizardCli, *args: str, **env: str) -> Result:
    result = cli(
        "rotate", "proxmox", "--json", "--no-input", *args, unset=SETTINGS_VARIABLES, **env
    )
    cli.outputs += [result.out, result.err]
    return result


def tokens(pve: PveServer) -> list[str]:
    return sorted(tokenid for _, tokenid in pve.state.tokens)


def verify_ok(cli: WizardCli) -> None:
    """`glassdome verify` finds the stored token working."""
    result = cli("verify", "--json", unset=SETTINGS_VARIABLES)
    cli.outputs += [result.out, result.err]
    assert result.code == 0, str(result)


def test_rotation_replaces_the_token_keeps_its_acl_and_updates_store_env_and_record(
    pve: PveServer, cli: WizardCli
) -> None:
    old = pve.state.tokens[("root@pam", "glassdome")].value
    result = rotate(cli, "--set", "new_token=lab-2", **with_password())
    assert result.code == 0, str(result)
    assert statuses(result) == {
        "create": "changed",
        "verify": "ok",
        "store": "changed",
        "revoke": "changed",
        "record": "changed",
        "revoked": "ok",
        "done": "ok",
    }
    assert tokens(pve) == ["lab-2"]
    new = pve.state.tokens[("root@pam", "lab-2")]
    assert new.privsep == 1
    assert pve.state.acl == [{**ROOT_ACL, "ugid": "root@pam!lab-2"}]
    assert stored(cli.home) == {"proxmox_token_value": new.value}
    assert env_values(cli)["PROXMOX_TOKEN_NAME"] == "lab-2"
    shown = cli("secrets", "show", "proxmox_token_value", "--json")
    record = json.loads(shown.out)["meta"]
    assert record["identity"]["token_id"] == "root@pam!lab-2"
    assert record["source"] == "playbook:rotate/proxmox.yml#store"
    assert record["last_check"] == "ok"
    verify_ok(cli)
    assert_no_leaks("\n".join(cli.outputs), PASSWORD, old, new.value)


def test_the_default_new_id_is_the_old_one_stamped_and_a_second_rotation_restamps_it(
    pve: PveServer, cli: WizardCli
) -> None:
    assert rotate(cli, **with_password()).code == 0
    (first,) = tokens(pve)
    assert first.startswith("glassdome-")
    assert len(first) == len("glassdome-") + 12
    # The stored password is used when none is given.
    cli.set("proxmox_password", PASSWORD)
    pve.state.tokens[("root@pam", "keep")] = pve.state.tokens[("root@pam", first)]
    result = rotate(cli, "--set", "new_token=glassdome-209901010000", "--set", "login=stored")
    assert result.code == 0, str(result)
    assert "glassdome-209901010000" in tokens(pve)
    assert first not in tokens(pve)
    verify_ok(cli)


def test_check_mode_changes_nothing(pve: PveServer, cli: WizardCli) -> None:
    before = (dict(pve.state.tokens), list(pve.state.acl), stored(cli.home))
    env_before = env_values(cli)
    calls = len(pve.calls())
    result = rotate(cli, "--check", **with_password())
    assert result.code == 0, str(result)
    assert (dict(pve.state.tokens), list(pve.state.acl), stored(cli.home)) == before
    assert env_values(cli) == env_before
    assert all(method == "GET" or "ticket" in path for method, path in pve.calls()[calls:])


def test_a_create_that_fails_half_way_deletes_the_new_token_and_keeps_the_old(
    pve: PveServer, cli: WizardCli
) -> None:
    before = stored(cli.home)
    pve.state.refusals[("PUT", "/access/acl")] = ApiError(500, "ACL update failed")
    result = rotate(cli, "--set", "new_token=lab-2", **with_password())
    failed = failed_step(result)
    assert failed["id"] == "create"
    assert "ACL update failed" in failed["message"]
    assert "deleted again" in failed["message"]
    assert tokens(pve) == ["glassdome"]
    assert stored(cli.home) == before
    assert env_values(cli)["PROXMOX_TOKEN_NAME"] == "glassdome"
    pve.state.refusals.clear()
    verify_ok(cli)


def test_a_new_token_that_fails_alone_is_deleted_and_the_old_one_stays_stored(
    pve: PveServer, cli: WizardCli
) -> None:
    before = stored(cli.home)
    pve.state.refusals[("GET", "/access/permissions")] = ApiError(401, "invalid token value!")
    result = rotate(cli, "--set", "new_token=lab-2", **with_password())
    failed = failed_step(result)
    assert failed["id"] == "verify"
    assert "deleted again" in failed["message"]
    assert "unchanged" in failed["message"]
    assert tokens(pve) == ["glassdome"]
    assert stored(cli.home) == before
    pve.state.refusals.clear()
    verify_ok(cli)


def test_a_store_that_cannot_be_written_deletes_the_new_token_and_keeps_the_old(
    pve: PveServer, home: Path, tmp_path: Path
) -> None:
    """The store folder is a small tmpfs, full by the time the rotation stores (as root)."""
    with small_tmpfs(home):
        cli = set_up(home, tmp_path, pve)
        before = stored(cli.home)
        filler = home / "filler"
        with pytest.raises(OSError, match="No space"):
            fill(filler)
        result = rotate(cli, "--set", "new_token=lab-2", **with_password())
        filler.unlink()
        failed = failed_step(result)
        assert failed["id"] == "store", str(result)
        assert "deleted again" in failed["message"]
        assert "still works" in failed["message"]
        assert tokens(pve) == ["glassdome"]
        assert stored(cli.home) == before
        assert env_values(cli)["PROXMOX_TOKEN_NAME"] == "glassdome"
        verify_ok(cli)


def test_a_revoke_that_fails_keeps_the_new_token_and_names_the_old_one(
    pve: PveServer, cli: WizardCli
) -> None:
    pve.state.refusals[("DELETE", f"{TOKENS}/glassdome")] = ApiError(500, "cannot delete")
    result = rotate(cli, "--set", "new_token=lab-2", **with_password())
    assert result.code == 1, str(result)
    status = statuses(result)
    assert (status["revoke"], status["record"], status["revoked"]) == (
        "failed",
        "changed",
        "failed",
    )
    assert "root@pam!glassdome" in result.out
    assert "by hand" in result.out
    assert tokens(pve) == ["glassdome", "lab-2"]
    assert stored(cli.home) == {
        "proxmox_token_value": pve.state.tokens[("root@pam", "lab-2")].value
    }
    assert env_values(cli)["PROXMOX_TOKEN_NAME"] == "lab-2"
    verify_ok(cli)


def test_without_a_password_it_stops_before_anything_changes(
    pve: PveServer, cli: WizardCli
) -> None:
    result = rotate(cli)
    assert result.code != 0
    assert tokens(pve) == ["glassdome"]
    assert "password" in (result.out + result.err)


def test_invoke_rotate_proxmox_runs_the_same_rotation(pve: PveServer, cli: WizardCli) -> None:
    """`invoke rotate.proxmox` is made from the CLI's parser and runs the same playbook."""
    result = cli.invoke(
        "rotate.proxmox",
        "--json",
        "--no-input",
        "--set",
        "new_token=lab-3",
        unset=SETTINGS_VARIABLES,
        **with_password(),
    )
    assert result.code == 0, str(result)
    assert tokens(pve) == ["lab-3"]
    assert env_values(cli)["PROXMOX_TOKEN_NAME"] == "lab-3"
    assert_no_leaks("\n".join(cli.outputs), PASSWORD, pve.state.tokens[("root@pam", "lab-3")].value)
