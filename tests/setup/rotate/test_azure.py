"""`glassdome rotate azure` against the local Entra ID + ARM + Microsoft Graph peer over TLS: the
stored secret adds its successor (addPassword), a token with the new secret alone works, it is
stored with its record, and the old secret is removed (removePassword) and then refused; every
failure before the store leaves the old secret stored and working, and a refused removal keeps
the new secret and names the old keyId."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.runner import Result
from tests.playbook.support import stored
from tests.setup.peers.azure_server import AzurePeer
from tests.setup.peers.azure_tenant import tenant
from tests.setup.rotate.full_store import fill, small_tmpfs
from tests.setup.support import assert_no_leak, failed_step, statuses, work_folder
from tests.setup.test_azure import SECRET, AzureCli, answers, sets


@pytest.fixture
def peer() -> Iterator[AzurePeer]:
    """A tenant of its own for each test: a rotation changes the application's secrets."""
    with tenant(SECRET) as server:
        yield server


@pytest.fixture
def cli(home: Path, tmp_path: Path, peer: AzurePeer) -> AzureCli:
    """The principal set up by the wizard: its secret stored with its keyId, AZURE_* in .env."""
    cli = AzureCli(home=home, cwd=work_folder(tmp_path, ""), wizard="azure")
    ca_file = peer.write_ca(tmp_path / "azure-ca.pem")
    result = cli.play(
        "--no-input", *sets(answers(peer, ca_file)), GLASSDOME_INPUT_CLIENT_SECRET=SECRET
    )
    assert result.code == 0, str(result)
    return cli


def rotate(cli: AzureCli, peer: AzurePeer, *args: str) -> Result:
    result = cli(
        "rotate",
        "azure",
        "--json",
        "--no-input",
        "--set",
        f"graph_endpoint={peer.graph_endpoint}",
        *args,
    )
    cli.outputs += [result.out, result.err]
    return result


def record(cli: AzureCli) -> dict[str, object]:
    shown = cli("secrets", "show", "azure_client_secret", "--json")
    assert shown.code == 0, str(shown)
    meta: dict[str, object] = json.loads(shown.out)["meta"]
    return meta


def assert_old_secret_kept(cli: AzureCli, peer: AzurePeer, before: dict[str, str]) -> None:
    """The store is as it was, the old secret still works, and no new secret is left behind."""
    assert stored(cli.home) == before
    assert peer.accepts(SECRET)
    assert [c["hint"] for c in peer.password_credentials] == [SECRET[:3]]
    verified = cli("verify", "--json")
    assert verified.code == 0, str(verified)


def test_rotation_stores_a_working_new_secret_and_removes_the_old_one(
    cli: AzureCli, peer: AzurePeer
) -> None:
    old_key = peer.password_credentials[0]["keyId"]
    result = rotate(cli, peer, "--set", "lifetime_days=90")
    assert result.code == 0, str(result)
    assert set(statuses(result).values()) <= {"ok", "changed"}
    new_secret = stored(cli.home)["azure_client_secret"]
    assert new_secret != SECRET
    assert peer.accepts(new_secret)
    assert not peer.accepts(SECRET)
    (listed,) = peer.password_credentials
    assert listed["keyId"] != old_key
    assert listed["displayName"].startswith("glassdome 20")
    end = datetime.fromisoformat(listed["endDateTime"].replace("Z", "+00:00"))
    assert timedelta(days=89) < end - datetime.now(UTC) <= timedelta(days=90)
    meta = record(cli)
    assert meta["platform"] == "azure"
    assert meta["identity"] == {
        "tenant": peer.tenant_id,
        "client_id": peer.client_id,
        "key_id": listed["keyId"],
    }
    assert meta["expires"] == listed["endDateTime"]
    assert meta["source"] == "playbook:rotate/azure.yml#store"
    posts = [path for method, path in peer.requests if method == "POST" and "Password" in path]
    assert posts == [
        f"/v1.0/applications/{peer.object_id}/addPassword",
        f"/v1.0/applications/{peer.object_id}/removePassword",
    ]
    verified = cli("verify", "--json")
    assert verified.code == 0, str(verified)
    for secret in (SECRET, new_secret):
        assert_no_leak(secret, [*cli.outputs, verified.out, verified.err])


def test_the_graph_endpoint_comes_from_what_the_wizard_wrote(
    cli: AzureCli, peer: AzurePeer
) -> None:
    env_text = (cli.cwd / ".env").read_text()
    assert f"AZURE_GRAPH_ENDPOINT={peer.graph_endpoint}\n" in env_text
    result = cli("rotate", "azure", "--json", "--no-input")  # no --set graph_endpoint
    cli.outputs += [result.out, result.err]
    assert result.code == 0, str(result)
    assert peer.accepts(stored(cli.home)["azure_client_secret"])
    assert not peer.accepts(SECRET)


def test_check_mode_changes_nothing(cli: AzureCli, peer: AzurePeer) -> None:
    before = stored(cli.home)
    result = rotate(cli, peer, "--check")
    assert result.code == 0, str(result)
    assert stored(cli.home) == before
    assert not [method for method, path in peer.requests if "Password" in path]
    assert_old_secret_kept(cli, peer, before)


def test_a_principal_that_may_not_add_secrets_keeps_the_old_one(
    cli: AzureCli, peer: AzurePeer
) -> None:
    peer.graph_denied.add("addPassword")
    before = stored(cli.home)
    result = rotate(cli, peer)
    failed = failed_step(result)
    assert failed["id"] == "create"
    assert "HTTP 403 Authorization_RequestDenied" in failed["message"]
    assert "Application.ReadWrite.OwnedBy" in failed["message"]
    assert_old_secret_kept(cli, peer, before)
    assert_no_leak(SECRET, cli.outputs)


def test_a_new_secret_that_entra_id_refuses_is_removed_and_the_old_one_kept(
    cli: AzureCli, peer: AzurePeer
) -> None:
    peer.accept_added = False
    before = stored(cli.home)
    result = rotate(cli, peer, "--set", "verify_tries=2")
    failed = failed_step(result)
    assert failed["id"] == "verify"
    assert "AADSTS7000215" in failed["message"]
    assert "was removed again" in failed["message"]
    assert_old_secret_kept(cli, peer, before)
    assert_no_leak(SECRET, cli.outputs)
    for added in peer.added:
        assert_no_leak(added, cli.outputs)


def test_a_removal_that_is_refused_keeps_the_new_secret_and_names_the_old(
    cli: AzureCli, peer: AzurePeer
) -> None:
    peer.graph_denied.add("removePassword")
    old_key = peer.password_credentials[0]["keyId"]
    result = rotate(cli, peer)
    assert result.code == 1, str(result)
    status = statuses(result)
    assert (status["store"], status["revoke"], status["revoked"]) == (
        "changed",
        "failed",
        "failed",
    )
    assert old_key in result.out
    assert "by hand" in result.out
    new_secret = stored(cli.home)["azure_client_secret"]
    assert peer.accepts(new_secret)
    assert peer.accepts(SECRET)  # still there: the user removes it
    assert record(cli)["identity"]["key_id"] != old_key  # type: ignore[index]
    verified = cli("verify", "--json")
    assert verified.code == 0, str(verified)
    for secret in (SECRET, new_secret):
        assert_no_leak(secret, cli.outputs)


def test_the_old_secret_is_found_by_its_hint_when_the_record_has_no_key_id(
    cli: AzureCli, peer: AzurePeer
) -> None:
    # A secret stored before records existed (or by `secrets set`) has no keyId recorded.
    for args, given in ((("delete", "--yes"), None), (("set",), SECRET)):
        done = cli("secrets", args[0], "azure_client_secret", *args[1:], input=given)
        assert done.code == 0, str(done)
    assert "key_id" not in (record(cli).get("identity") or {})  # type: ignore[operator]
    result = rotate(cli, peer)
    assert result.code == 0, str(result)
    assert not peer.accepts(SECRET)
    assert peer.accepts(stored(cli.home)["azure_client_secret"])


def test_a_store_that_cannot_be_written_removes_the_new_secret_and_keeps_the_old(
    home: Path, tmp_path: Path, peer: AzurePeer
) -> None:
    """The store folder is a small tmpfs, full by the time the rotation stores (as root)."""
    with small_tmpfs(home):
        cli = AzureCli(home=home, cwd=work_folder(tmp_path, ""), wizard="azure")
        ca_file = peer.write_ca(tmp_path / "azure-ca.pem")
        result = cli.play(
            "--no-input", *sets(answers(peer, ca_file)), GLASSDOME_INPUT_CLIENT_SECRET=SECRET
        )
        assert result.code == 0, str(result)
        before = stored(cli.home)
        filler = home / "filler"
        with pytest.raises(OSError, match="No space"):
            fill(filler)
        result = rotate(cli, peer)
        filler.unlink()
        assert failed_step(result)["id"] == "store", str(result)
        assert_old_secret_kept(cli, peer, before)
        assert_no_leak(SECRET, cli.outputs)
        for added in peer.added:
            assert_no_leak(added, cli.outputs)
