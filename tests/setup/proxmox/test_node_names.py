"""Node names from the Proxmox VE server are validated before they reach a URL or .env."""

from __future__ import annotations

import pytest


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
