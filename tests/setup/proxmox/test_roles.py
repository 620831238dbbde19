"""The Proxmox VE wizard's role presets for Terraform and Packer, against PVE 8 and PVE 9 answers.

A preset (``terraform-bpg``, ``terraform-telmate``, ``packer``) makes a role with the
privileges its tool documents, fitted to the server's version (``GET /version``), then
grants it to the token. Made once, left alone when it matches, set back when it drifted;
``--check`` says what would change and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.steps.proxmox_roles import PRESETS, privileges_for
from tests.playbook.support import step_messages, stored
from tests.setup.peers.pve_server import PVE8, PVE9, PveServer
from tests.setup.peers.pve_state import ApiError, known_privileges
from tests.setup.proxmox.wizard import (
    PASSWORD,
    base_answers,
    failure,
    token_value,
    with_password,
    wizard,
)
from tests.setup.support import WizardCli, statuses


def documented(privs: str) -> set[str]:
    """A ``pveum role add NAME -privs "..."`` list as a set."""
    return set(privs.split())


# The documented lists, as the tools' docs print them (see glassdome/steps/proxmox_roles.py).
BPG = documented(
    "Datastore.Allocate Datastore.AllocateSpace Datastore.AllocateTemplate Datastore.Audit "
    "Pool.Allocate Sys.Audit Sys.Console Sys.Modify SDN.Use VM.Allocate VM.Audit VM.Clone "
    "VM.Config.CDROM VM.Config.Cloudinit VM.Config.CPU VM.Config.Disk VM.Config.HWType "
    "VM.Config.Memory VM.Config.Network VM.Config.Options VM.Migrate VM.Monitor VM.PowerMgmt "
    "User.Modify"
)
TELMATE = documented(
    "Datastore.AllocateSpace Datastore.AllocateTemplate Datastore.Audit Pool.Allocate "
    "Sys.Audit Sys.Console Sys.Modify VM.Allocate VM.Audit VM.Clone VM.Config.CDROM "
    "VM.Config.Cloudinit VM.Config.CPU VM.Config.Disk VM.Config.HWType VM.Config.Memory "
    "VM.Config.Network VM.Config.Options VM.Migrate VM.Monitor VM.PowerMgmt SDN.Use"
)
# trfore/packer-proxmox-templates' README (the Packer plugin documents no list).
PACKER = documented(
    "Datastore.AllocateSpace Datastore.AllocateTemplate Datastore.Audit SDN.Use Sys.Audit "
    "Sys.Modify VM.Allocate VM.Audit VM.Clone VM.Config.CDROM VM.Config.Cloudinit "
    "VM.Config.CPU VM.Config.Disk VM.Config.HWType VM.Config.Memory VM.Config.Network "
    "VM.Config.Options VM.Console VM.Monitor VM.PowerMgmt"
)
# On PVE 9, VM.Monitor is gone; the guest agent's read access is VM.GuestAgent.Audit.
ON_PVE9 = {"VM.GuestAgent.Audit"}


def pve_at(tmp_path: Path, version: str) -> PveServer:
    return PveServer(tmp_path, password=PASSWORD, version=version)


def run(cli: WizardCli, pve: PveServer, role: str, *args: str) -> dict[str, str]:
    """Run the wizard with *role*; return each step's message (asserting exit 0)."""
    result = wizard(cli, base_answers(pve, role=role), *args, **with_password())
    assert result.code == 0, str(result)
    assert PASSWORD not in result.out + result.err
    return {**step_messages(result), **{f"{k}.status": v for k, v in statuses(result).items()}}


def writes(pve: PveServer, since: int = 0) -> list[tuple[str, str]]:
    """Every request after the *since*-th that would change something (the login aside)."""
    return [c for c in pve.calls()[since:] if c[0] != "GET" and not c[1].endswith("/ticket")]


@pytest.mark.parametrize(
    ("version", "expected"),
    [(PVE8, BPG), (PVE9, (BPG - {"VM.Monitor"}) | ON_PVE9)],
    ids=["pve8", "pve9"],
)
def test_terraform_bpg_creates_the_role_for_the_servers_version_and_grants_it(
    tmp_path: Path, cli: WizardCli, version: str, expected: set[str]
) -> None:
    with pve_at(tmp_path, version) as pve:
        messages = run(cli, pve, "terraform-bpg")
        assert pve.state.roles["GlassdomeTerraform"] == expected
        assert ("POST", "/api2/json/access/roles") in pve.calls()
        grants = [e for e in pve.state.acl if e["ugid"] == "root@pam!glassdome"]
        assert [(e["path"], e["roleid"]) for e in grants] == [("/", "GlassdomeTerraform")]
        assert "create the role GlassdomeTerraform" in messages["token"]
        assert stored(cli.home) == {"proxmox_token_value": token_value(pve)}
        if version == PVE9:  # never asked for: PVE 9 would refuse it
            assert "VM.Monitor" not in pve.received_text()


def test_terraform_telmate_on_pve9_never_requests_vm_monitor(
    tmp_path: Path, cli: WizardCli
) -> None:
    with pve_at(tmp_path, PVE9) as pve:
        run(cli, pve, "terraform-telmate")
        assert pve.state.roles["GlassdomeTerraform"] == (TELMATE - {"VM.Monitor"}) | ON_PVE9
        assert "VM.Monitor" not in pve.received_text()


def test_packer_preset_makes_glassdome_packer(pve: PveServer, cli: WizardCli) -> None:
    run(cli, pve, "packer")
    assert pve.state.roles["GlassdomePacker"] == PACKER
    assert [e["roleid"] for e in pve.state.acl] == ["GlassdomePacker"]


def test_a_second_run_with_the_role_unchanged_writes_nothing(
    pve: PveServer, cli: WizardCli
) -> None:
    run(cli, pve, "terraform-bpg")
    before = len(pve.calls())
    messages = run(cli, pve, "terraform-bpg")
    assert messages["token.status"] == "ok"
    assert ("GET", "/api2/json/access/roles/GlassdomeTerraform") in pve.calls()[before:]
    assert writes(pve, before) == []
    assert pve.state.roles["GlassdomeTerraform"] == BPG


def test_a_drifted_role_is_set_back_naming_what_was_added_and_removed(
    pve: PveServer, cli: WizardCli
) -> None:
    run(cli, pve, "terraform-bpg")
    pve.state.roles["GlassdomeTerraform"] = frozenset((BPG - {"VM.Clone"}) | {"Sys.PowerMgmt"})
    before = len(pve.calls())
    messages = run(cli, pve, "terraform-bpg")
    assert messages["token.status"] == "changed"
    assert "update the role GlassdomeTerraform (+VM.Clone, -Sys.PowerMgmt)" in messages["token"]
    assert writes(pve, before) == [("PUT", "/api2/json/access/roles/GlassdomeTerraform")]
    assert pve.state.roles["GlassdomeTerraform"] == BPG


def test_switching_from_bpg_to_telmate_updates_the_one_role(pve: PveServer, cli: WizardCli) -> None:
    run(cli, pve, "terraform-bpg")
    messages = run(cli, pve, "terraform-telmate")
    removed = ", ".join(f"-{p}" for p in sorted(BPG - TELMATE))
    assert f"update the role GlassdomeTerraform ({removed})" in messages["token"]
    assert pve.state.roles["GlassdomeTerraform"] == TELMATE


def test_check_mode_shows_the_difference_and_changes_nothing(
    pve: PveServer, cli: WizardCli
) -> None:
    run(cli, pve, "terraform-bpg")
    drifted = frozenset(BPG - {"VM.Migrate", "VM.Audit"})
    pve.state.roles["GlassdomeTerraform"] = drifted
    before = len(pve.calls())
    messages = run(cli, pve, "terraform-bpg", "--check")
    assert "update the role GlassdomeTerraform (+VM.Audit, +VM.Migrate)" in messages["token"]
    assert writes(pve, before) == []
    assert pve.state.roles["GlassdomeTerraform"] == drifted


def test_check_mode_on_a_new_server_creates_neither_role_nor_token(
    tmp_path: Path, cli: WizardCli
) -> None:
    with pve_at(tmp_path, PVE9) as pve:
        messages = run(cli, pve, "terraform-telmate", "--check")
        assert "create the role GlassdomeTerraform (" in messages["token"]
        assert "VM.GuestAgent.Audit" in messages["token"]
        assert "VM.Monitor" not in messages["token"]
        assert writes(pve) == []
        assert "GlassdomeTerraform" not in pve.state.roles
        assert pve.state.tokens == {}


def test_a_refused_role_fails_in_one_line_before_any_token_is_made(
    pve: PveServer, cli: WizardCli
) -> None:
    refused = ApiError(403, "Permission check failed (/access, Sys.Modify)")
    pve.state.refusals[("POST", "/access/roles")] = refused
    result = wizard(cli, base_answers(pve, role="terraform-bpg"), **with_password())
    message = failure(result)
    assert "create the role GlassdomeTerraform: HTTP 403 Permission check failed" in message
    assert pve.state.tokens == {}
    assert stored(cli.home) == {}


def test_a_plain_role_name_is_granted_as_before_and_no_role_is_made(
    pve: PveServer, cli: WizardCli
) -> None:
    run(cli, pve, "PVEAuditor")
    assert [e["roleid"] for e in pve.state.acl] == ["PVEAuditor"]
    assert not [c for c in pve.calls() if "/access/roles" in c[1]]


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("version", ["7.4.3", PVE8, PVE9])
def test_every_preset_asks_only_for_privileges_the_version_has(preset: str, version: str) -> None:
    """Checked against the peer's list of each version's privileges (PVE 7 lacks SDN.Use)."""
    wanted = privileges_for(PRESETS[preset], version)
    assert wanted <= known_privileges(version) - ({"SDN.Use"} if version.startswith("7") else set())
    assert ("VM.Monitor" in wanted) == (not version.startswith("9"))
    assert ("VM.GuestAgent.Audit" in wanted) == version.startswith("9")
