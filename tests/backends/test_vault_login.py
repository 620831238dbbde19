"""Logging in to a real OpenBao dev server: tokens, AppRole, revocation and expiry,
and a token never shown."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest

from glassdome.errors import BackendUnavailable, SecretStoreError
from tests.backends.openbao import OpenBao, use_vault, use_vault_token
from tests.backends.remote import why_unavailable
from tests.backends.vault_support import backend, vault_manager


class AppRoleLogin(NamedTuple):
    """An AppRole limited to the test's prefix, and the variables that log in with it."""

    role: str
    role_id: str
    secret_id: str
    env: dict[str, str]


@pytest.fixture
def approle_env(
    openbao: OpenBao, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AppRoleLogin:
    """VAULT_ADDR, and VAULT_ROLE_ID and VAULT_SECRET_ID of a role that may use only the prefix."""
    role, role_id, secret_id = openbao.approle(prefix)
    env = use_vault(
        monkeypatch,
        tmp_path,
        VAULT_ADDR=openbao.addr,
        VAULT_ROLE_ID=role_id,
        VAULT_SECRET_ID=secret_id,
        GLASSDOME_VAULT_PREFIX=prefix,
    )
    return AppRoleLogin(role, role_id, secret_id, env)


def test_approle_login_works_and_is_described_without_secrets(
    approle_env: AppRoleLogin, home: Path
) -> None:
    manager = vault_manager(home)
    manager.set_secret("via_approle", "approle-value")
    assert vault_manager(home).get_secret("via_approle") == "approle-value"
    described = manager.describe()
    assert "AppRole" in described.details["auth"]
    shown = repr(manager.backend) + repr(described) + repr(manager.backend.details())
    assert approle_env.secret_id not in shown
    assert approle_env.role_id not in shown


def test_a_revoked_approle_token_logs_in_again_once(
    openbao: OpenBao, approle_env: AppRoleLogin
) -> None:
    store = backend({**os.environ, **approle_env.env})
    store.set("kept", "value-1")
    first_token = store._client.token
    openbao.revoke(first_token)  # an operator revokes it mid-run
    assert store.get("kept") == "value-1"
    assert store._client.token != first_token


def test_a_revoked_approle_token_whose_login_also_fails_stops_with_one_error(
    openbao: OpenBao, approle_env: AppRoleLogin
) -> None:
    store = backend()
    store.set("kept", "value-1")
    # The secret ID expires (destroyed here), then the token is revoked.
    openbao.client().auth.approle.destroy_secret_id(approle_env.role, approle_env.secret_id)
    openbao.revoke(store._client.token)
    before = store.request_count
    with pytest.raises(BackendUnavailable, match=r"AppRole login at .* failed"):
        store.get("kept")
    assert store.request_count - before <= 3  # the request, one token check, one login


def test_a_revoked_static_token_is_a_clear_error_not_a_loop(
    openbao: OpenBao, token_env: dict[str, str]
) -> None:
    token = token_env["VAULT_TOKEN"]
    store = backend()
    store.set("kept", "value-1")
    openbao.revoke(token)
    before = store.request_count
    with pytest.raises(BackendUnavailable) as err:
        store.get("kept")
    message = str(err.value)
    assert "rejected the token from VAULT_TOKEN" in message
    assert "revoked" in message
    assert token not in message
    assert "\n" not in message
    assert store.request_count - before == 2  # the request and one token check


def test_a_rejected_token_makes_the_backend_unavailable_with_the_reason(
    openbao: OpenBao, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    use_vault(monkeypatch, tmp_path, VAULT_ADDR=openbao.addr, VAULT_TOKEN="s.not-a-real-token")
    reason = why_unavailable(backend())
    assert "rejected the token from VAULT_TOKEN" in reason
    assert "not-a-real-token" not in reason
    with pytest.raises(BackendUnavailable, match="GLASSDOME_SECRETS_BACKEND=vault was asked for"):
        vault_manager(home).get_secret("anything")


def test_a_token_without_a_policy_for_the_path_is_told_what_to_grant(
    openbao: OpenBao, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A token for another team's prefix, used on this test's prefix.
    use_vault_token(monkeypatch, tmp_path, openbao, "someone/else", GLASSDOME_VAULT_PREFIX=prefix)
    store = backend()
    assert store.availability().available  # it may use secret/, just not this prefix
    with pytest.raises(SecretStoreError, match=r"denied reading x on secret/data/.*policies"):
        store.get("x")


def test_the_token_file_written_by_bao_login_is_used(
    openbao: OpenBao, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".vault-token").write_text(openbao.token([openbao.policy(prefix)]) + "\n")
    use_vault(monkeypatch, tmp_path, VAULT_ADDR=openbao.addr, GLASSDOME_VAULT_PREFIX=prefix)
    store = backend()
    assert store.availability().available
    assert store.details()["auth"] == "token from ~/.vault-token"


def test_repr_and_details_never_show_the_token(token_env: dict[str, str], home: Path) -> None:
    manager = vault_manager(home)
    manager.set_secret("x", "value-x")
    token = token_env["VAULT_TOKEN"]
    assert token not in repr(manager.backend)
    assert token not in repr(manager.describe())
    assert "VAULT_TOKEN" in manager.backend.details()["auth"]
