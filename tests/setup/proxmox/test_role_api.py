"""The role functions against the test PVE server's ``/access/roles``, and the server's own rules.

In-process: glassdome's password login (`proxmox_api.login`) and `proxmox_roles` over
HTTPS to the peer, which answers as the PVE API documents (privs as one
comma-separated string in the list, an object when one role is read, a parameter
error for a privilege the version lacks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from proxmoxer.core import ResourceException

from glassdome.steps.proxmox_api import Endpoint, login
from glassdome.steps.proxmox_roles import PRESETS, apply_role, read_role
from tests.setup.peers.pve_server import PVE8, PVE9, PveServer
from tests.setup.proxmox.wizard import PASSWORD


def api_of(pve: PveServer) -> tuple[Any, Endpoint]:
    args = Endpoint(host="127.0.0.1", port=pve.port, tls="ca", ca_file=str(pve.ca_file))
    return login(args, PASSWORD, None), args


@pytest.mark.parametrize("version", [PVE8, PVE9])
def test_read_create_read_again_finds_nothing_to_change(tmp_path: Path, version: str) -> None:
    with PveServer(tmp_path, password=PASSWORD, version=version) as pve:
        api, args = api_of(pve)
        first = read_role(api, args, "terraform-telmate", version)
        assert first is not None
        assert first.current is None
        assert first.needed
        apply_role(api, args, first)
        again = read_role(api, args, "terraform-telmate", version)
        assert again is not None
        assert again.current == first.wanted
        assert not again.needed
        listed = {r["roleid"]: r["privs"] for r in api.access.roles.get()}
        assert listed["GlassdomeTerraform"] == ",".join(sorted(first.wanted))


def test_a_plain_role_name_reads_nothing(pve: PveServer) -> None:
    api, args = api_of(pve)
    assert read_role(api, args, "PVEVMAdmin", PVE8) is None
    assert not [c for c in pve.calls() if "/access/roles" in c[1]]


def test_the_pve9_server_refuses_vm_monitor_as_pve9_does(tmp_path: Path) -> None:
    """So the wizard tests' 'never requested' checks have a server that would object."""
    with PveServer(tmp_path, password=PASSWORD, version=PVE9) as pve:
        api, _ = api_of(pve)
        with pytest.raises(ResourceException) as raised:
            api.access.roles.post(roleid="Old", privs="VM.Audit,VM.Monitor")
        assert raised.value.status_code == 400
        assert raised.value.errors == {"privs": "invalid format - invalid privilege 'VM.Monitor'"}
        assert "Old" not in pve.state.roles


def test_the_pve8_server_refuses_guest_agent_privileges(pve: PveServer) -> None:
    api, _ = api_of(pve)
    with pytest.raises(ResourceException) as raised:
        api.access.roles.post(roleid="New", privs="VM.GuestAgent.Audit")
    assert raised.value.status_code == 400


def test_a_built_in_role_cannot_be_changed_and_a_missing_one_is_a_500(pve: PveServer) -> None:
    api, _ = api_of(pve)
    with pytest.raises(ResourceException) as built_in:
        api.access.roles("PVEVMAdmin").put(privs="VM.Audit")
    assert built_in.value.status_code == 500
    with pytest.raises(ResourceException) as missing:
        api.access.roles("Nobody").get()
    assert missing.value.status_code == 500
    assert "role 'Nobody' does not exist" in str(missing.value.content)


def test_every_preset_names_a_role_of_its_own_tool() -> None:
    assert {name: p.role_id for name, p in PRESETS.items()} == {
        "terraform-bpg": "GlassdomeTerraform",
        "terraform-telmate": "GlassdomeTerraform",
        "packer": "GlassdomePacker",
    }
