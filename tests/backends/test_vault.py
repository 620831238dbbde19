"""The vault backend against a real OpenBao dev server: layout, login, CAS, failures."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import NamedTuple

import pytest

from glassdome.backends.registry import backend_factories
from glassdome.backends.vault import VaultBackend
from glassdome.core.secrets import SecretsManager
from glassdome.errors import BackendUnavailable, SecretConflict, SecretStoreError
from glassdome.ui.console import Terminal
from tests.backends.local_server import GUARD, refused_url, silent_url
from tests.backends.openbao import OpenBao, use_vault, use_vault_token
from tests.backends.remote import RemoteEndToEnd, from_environment, why_unavailable
from tests.conftest import PASSWORD
from tests.threads import run_in_threads


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


def backend(env: dict[str, str] | None = None) -> VaultBackend:
    return from_environment(VaultBackend.from_context, env)


def vault_manager(home: Path) -> SecretsManager:
    return SecretsManager(home=home, backend="vault")


# -- layout: other tools read what glassdome writes, and the other way round --


def test_a_secret_is_stored_as_value_at_mount_data_prefix_name(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    vault_manager(home).set_secret("proxmox_password", "pa55-wörd")
    assert openbao.read_kv(f"{prefix}/proxmox_password") == {"value": "pa55-wörd"}


def test_bao_kv_get_shows_what_glassdome_stored_under_the_default_prefix(
    openbao: OpenBao, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    """No GLASSDOME_VAULT_MOUNT or _PREFIX: ``bao kv get -mount=secret glassdome/NAME``."""
    use_vault(monkeypatch, tmp_path, VAULT_ADDR=openbao.addr, VAULT_TOKEN=openbao.root_token)
    name = f"default_{uuid.uuid4().hex[:8]}"
    manager = vault_manager(home)
    manager.set_secret(name, "seen-by-bao")
    shown = subprocess.run(
        [
            shutil.which("bao") or "bao",
            "kv",
            "get",
            "-mount=secret",
            "-field=value",
            f"glassdome/{name}",
        ],
        env={**os.environ, "VAULT_ADDR": openbao.addr, "VAULT_TOKEN": openbao.root_token},
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "seen-by-bao"
    assert manager.delete_secret(name) is True


def test_glassdome_reads_what_another_client_wrote(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    openbao.write_kv(f"{prefix}/esxi_password", value="from-hvac")
    openbao.write_kv(f"{prefix}/folder/nested", value="not ours")
    manager = vault_manager(home)
    assert manager.get_secret("esxi_password") == "from-hvac"
    assert manager.list_secrets() == ["esxi_password"]  # a sub-folder is not a secret name


def test_a_secret_without_a_value_field_is_an_error_not_a_guess(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    openbao.write_kv(f"{prefix}/odd", password="other-tool-layout")
    with pytest.raises(SecretStoreError, match="no text field 'value'") as caught:
        vault_manager(home).get_secret("odd")
    assert "other-tool-layout" not in str(caught.value)


# -- list and delete -----------------------------------------------------------


def test_list_is_one_request_however_many_names(token_env: dict[str, str], home: Path) -> None:
    vault_manager(home).set_many({f"name_{i:03d}": f"value-{i}" for i in range(120)})
    store = backend()
    assert store.availability().available
    before = store.request_count
    names = store.names()
    assert len(names) == 120
    assert store.request_count - before == 1


def test_delete_removes_every_version_and_the_metadata(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    manager = vault_manager(home)
    for value in ("one", "two", "three"):
        manager.set_secret("rotated", value)
    kv = openbao.client().secrets.kv.v2
    assert kv.read_secret_metadata(path=f"{prefix}/rotated")["data"]["current_version"] == 3
    assert manager.delete_secret("rotated") is True
    import hvac

    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_metadata(path=f"{prefix}/rotated")
    assert vault_manager(home).list_secrets() == []
    assert vault_manager(home).get_secret("rotated") is None


def test_a_version_deleted_by_another_tool_reads_as_absent_and_can_be_set_again(
    openbao: OpenBao, token_env: dict[str, str], prefix: str, home: Path
) -> None:
    """``bao kv delete`` soft-deletes the latest version; the next write is on top of it."""
    vault_manager(home).set_secret("soft", "first")
    openbao.client().secrets.kv.v2.delete_latest_version_of_secret(path=f"{prefix}/soft")
    manager = vault_manager(home)
    assert manager.get_secret("soft") is None
    manager.set_secret("soft", "second")
    assert vault_manager(home).get_secret("soft") == "second"


# -- check-and-set: two operators never silently overwrite each other ----------


def test_a_cas_conflict_between_two_clients_is_an_error_and_keeps_the_other_value(
    token_env: dict[str, str], home: Path
) -> None:
    alice, bob = vault_manager(home), vault_manager(home)
    alice.set_secret("shared_token", "original")
    assert alice.get_secret("shared_token") == "original"
    assert bob.get_secret("shared_token") == "original"
    bob.set_secret("shared_token", "bob-rotated")
    with pytest.raises(SecretConflict, match=r"shared_token changed in .* after glassdome") as err:
        alice.set_secret("shared_token", "alice-rotated")
    assert err.value.names == ("shared_token",)
    assert "rotated" not in str(err.value)
    assert "original" not in str(err.value)
    assert vault_manager(home).get_secret("shared_token") == "bob-rotated"
    # Reading again is how Alice sees Bob's change; then her update goes through.
    assert alice.get_secret("shared_token") == "bob-rotated"
    alice.set_secret("shared_token", "alice-rotated")
    assert vault_manager(home).get_secret("shared_token") == "alice-rotated"


def test_two_clients_creating_the_same_name_conflict(token_env: dict[str, str], home: Path) -> None:
    alice, bob = vault_manager(home), vault_manager(home)
    assert alice.get_secret("new_name") is None  # Alice saw it absent...
    bob.set_secret("new_name", "bob-first")  # ...Bob created it...
    with pytest.raises(SecretConflict):
        alice.set_secret("new_name", "alice-second")  # ...so Alice's create must not win.
    assert vault_manager(home).get_secret("new_name") == "bob-first"


def test_set_many_writes_the_rest_and_names_every_conflict(
    token_env: dict[str, str], home: Path
) -> None:
    alice, bob = vault_manager(home), vault_manager(home)
    alice.set_many({"a": "1", "b": "1", "c": "1"})
    bob.get_secret("b")
    bob.get_secret("c")
    bob.set_many({"b": "bob", "c": "bob"})
    with pytest.raises(SecretConflict, match="b, c changed") as err:
        alice.set_many({"a": "2", "b": "2", "c": "2"})
    assert err.value.names == ("b", "c")
    check = vault_manager(home)
    assert [check.get_secret(n) for n in "abc"] == ["2", "bob", "bob"]


def test_delete_refuses_when_the_secret_changed_since_it_was_read(
    token_env: dict[str, str], home: Path
) -> None:
    alice, bob = vault_manager(home), vault_manager(home)
    alice.set_secret("to_remove", "v1")
    bob.get_secret("to_remove")
    alice.set_secret("to_remove", "v2")
    with pytest.raises(SecretConflict, match="not deleted"):
        bob.delete_secret("to_remove")
    assert vault_manager(home).get_secret("to_remove") == "v2"


def test_a_writer_that_never_read_an_existing_name_gets_a_conflict_and_changes_nothing(
    token_env: dict[str, str], home: Path
) -> None:
    """A name this process never read is written with cas=0: it never replaces a stored value."""
    vault_manager(home).set_secret("plain", "old")
    fresh = backend()
    fresh.availability()
    before = fresh.request_count
    with pytest.raises(
        SecretConflict, match=r"someone else stored plain in .* read it first"
    ) as err:
        fresh.set("plain", "new")
    assert fresh.request_count - before == 1  # the cas=0 write only: no read, no retry
    assert err.value.names == ("plain",)
    assert "new" not in str(err.value)
    assert "\n" not in str(err.value)
    with pytest.raises(SecretConflict):
        vault_manager(home).set_secret("plain", "new")  # the manager API alike
    with pytest.raises(SecretConflict):
        backend().set_many({"plain": "old"})  # even the same value is not written unread
    assert vault_manager(home).get_secret("plain") == "old"


def test_reading_first_is_the_deliberate_overwrite(token_env: dict[str, str], home: Path) -> None:
    vault_manager(home).set_secret("plain", "old")
    second = vault_manager(home)
    assert second.get_secret("plain") == "old"
    second.set_secret("plain", "new")
    assert vault_manager(home).get_secret("plain") == "new"


def test_secrets_set_replaces_an_existing_value_by_reading_it_first(
    token_env: dict[str, str], home: Path
) -> None:
    """`glassdome secrets set` of a stored name overwrites, as documented: read, then cas."""
    from glassdome.commands.secrets import set_secret as cli_set_secret

    vault_manager(home).set_secret("cli_name", "old")
    term = Terminal(stdin=io.StringIO(), stdout=io.StringIO(), stderr=io.StringIO(), env={})
    assert cli_set_secret(term, "cli_name", value="new", manager=vault_manager(home)) == 0
    assert vault_manager(home).get_secret("cli_name") == "new"


def test_set_many_of_names_never_stored_is_one_request_each(
    token_env: dict[str, str], home: Path
) -> None:
    store = backend()
    assert store.availability().available
    before = store.request_count
    store.set_many({f"fresh_{i}": "value" for i in range(10)})
    assert store.request_count - before == 10


# -- logging in: tokens, AppRole, expiry ------------------------------------------


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


# -- availability: says why, writes nothing, never hangs --------------------------


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({}, "VAULT_ADDR is not set"),
        ({"VAULT_ADDR": "http://127.0.0.1:1"}, "no Vault credentials: set VAULT_TOKEN"),
        ({"VAULT_ADDR": "127.0.0.1:8200", "VAULT_TOKEN": "t"}, "must start with http"),
        (
            {"VAULT_ADDR": "http://127.0.0.1:1", "VAULT_ROLE_ID": "r"},
            "VAULT_ROLE_ID is set but VAULT_SECRET_ID is not",
        ),
        (
            {"VAULT_ADDR": "http://127.0.0.1:1", "VAULT_TOKEN": "t", "VAULT_CACERT": "/nope.pem"},
            "VAULT_CACERT=/nope.pem is not a file",
        ),
    ],
)
def test_missing_settings_are_named(
    variables: dict[str, str], reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_vault(monkeypatch, tmp_path, **variables)
    assert reason in why_unavailable(backend())


def test_a_refused_connection_names_the_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    addr = refused_url()
    use_vault(monkeypatch, tmp_path, VAULT_ADDR=addr, VAULT_TOKEN="t")
    assert why_unavailable(backend()).startswith(f"cannot reach {addr}: connection refused")


def test_a_server_that_never_answers_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every request has a timeout: a listener that never replies is reported, not waited on."""
    with silent_url() as addr:
        use_vault(
            monkeypatch, tmp_path, VAULT_ADDR=addr, VAULT_TOKEN="t", GLASSDOME_VAULT_TIMEOUT="0.3"
        )
        reason = why_unavailable(backend())
    assert f"{addr} did not answer within 0.3s" in reason


def test_a_kv_version_1_mount_is_refused(
    openbao: OpenBao, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = openbao.client()
    mount = f"kv1-{uuid.uuid4().hex[:6]}"
    root.sys.enable_secrets_engine("kv", path=mount, options={"version": "1"})
    use_vault(
        monkeypatch,
        tmp_path,
        VAULT_ADDR=openbao.addr,
        VAULT_TOKEN=openbao.root_token,
        GLASSDOME_VAULT_MOUNT=mount,
    )
    assert "kv version 1 engine; glassdome needs KV version 2" in why_unavailable(backend())


def test_availability_writes_nothing(
    openbao: OpenBao, token_env: dict[str, str], prefix: str
) -> None:
    assert backend().availability().available
    import hvac

    with pytest.raises(hvac.exceptions.InvalidPath):
        openbao.client().secrets.kv.v2.list_secrets(path=prefix)


def test_a_malformed_timeout_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_vault(
        monkeypatch, tmp_path, VAULT_ADDR="http://127.0.0.1:1", GLASSDOME_VAULT_TIMEOUT="soon"
    )
    with pytest.raises(BackendUnavailable, match="GLASSDOME_VAULT_TIMEOUT='soon'"):
        backend()


def test_plain_http_to_another_machine_is_refused_before_any_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused while the settings are read: no client exists yet, so nothing was sent."""
    use_vault(monkeypatch, tmp_path, VAULT_ADDR="http://10.1.2.3:8200", VAULT_TOKEN="t")
    with pytest.raises(BackendUnavailable) as err:
        backend()
    message = str(err.value)
    assert "VAULT_ADDR=http://10.1.2.3:8200" in message
    assert "GLASSDOME_VAULT_ALLOW_HTTP=1" in message
    assert "\n" not in message


def test_allow_http_accepts_plain_http_to_another_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_vault(
        monkeypatch,
        tmp_path,
        VAULT_ADDR="http://10.1.2.3:8200",
        VAULT_TOKEN="t",
        GLASSDOME_VAULT_ALLOW_HTTP="1",
    )
    store = backend()  # only the settings: availability() would connect, so it is not called
    assert store.config.addr == "http://10.1.2.3:8200"
    assert store.config.missing() is None
    assert store.request_count == 0


@pytest.mark.parametrize(
    "addr",
    [
        "https://10.1.2.3:8200",
        "https://vault.example.org",
        "http://127.0.0.1:8200",
        "http://127.8.9.10:8200",
        "http://localhost:8200",
        "http://[::1]:8200",
    ],
)
def test_https_and_loopback_http_need_no_permission(
    addr: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_vault(monkeypatch, tmp_path, VAULT_ADDR=addr, VAULT_TOKEN="t")
    store = backend()
    assert store.config.missing() is None
    assert store.request_count == 0


@pytest.mark.parametrize("value", ["", "0", "yes"])
def test_only_allow_http_1_permits_plain_http(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_vault(
        monkeypatch,
        tmp_path,
        VAULT_ADDR="http://vault.example.org:8200",
        VAULT_TOKEN="t",
        GLASSDOME_VAULT_ALLOW_HTTP=value,
    )
    with pytest.raises(BackendUnavailable, match="GLASSDOME_VAULT_ALLOW_HTTP=1"):
        backend()


def test_without_hvac_choosing_vault_says_which_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    use_vault(monkeypatch, tmp_path, VAULT_ADDR="http://127.0.0.1:1", VAULT_TOKEN="t")
    monkeypatch.setitem(sys.modules, "hvac", None)  # what a missing package looks like
    with pytest.raises(BackendUnavailable) as err:
        vault_manager(home).get_secret("x")
    assert "needs hvac, which is not installed: pip install 'glassdome[vault]'" in str(err.value)


def test_auto_selection_never_picks_a_remote_backend(
    openbao: OpenBao, token_env: dict[str, str], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with a working Vault in the environment, auto means the keyring or the file."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("GLASSDOME_MASTER_PASSWORD", PASSWORD)
    manager = SecretsManager(home=home)
    assert manager.backend_name == "file"
    assert set(manager.describe().probes) == {"keyring", "file"}
    assert {"vault", "aws"} <= set(backend_factories())


def test_repr_and_details_never_show_the_token(token_env: dict[str, str], home: Path) -> None:
    manager = vault_manager(home)
    manager.set_secret("x", "value-x")
    token = token_env["VAULT_TOKEN"]
    assert token not in repr(manager.backend)
    assert token not in repr(manager.describe())
    assert "VAULT_TOKEN" in manager.backend.details()["auth"]


def test_concurrent_writers_to_one_name_never_lose_an_acknowledged_write(
    token_env: dict[str, str], home: Path
) -> None:
    """Each write either lands (and is the value last acknowledged) or raises SecretConflict."""
    vault_manager(home).set_secret("hot", "seed")
    landed: list[str] = []
    lock = threading.Lock()

    def writer(worker: int) -> None:
        own = vault_manager(home)
        for i in range(5):
            own.get_secret("hot")
            value = f"w{worker}-{i}"
            try:
                own.set_secret("hot", value)
            except SecretConflict:
                continue
            with lock:
                landed.append(value)

    run_in_threads(writer, [(w,) for w in range(4)], GUARD)
    assert landed, "no write landed at all"
    final = vault_manager(home).get_secret("hot")
    assert final in landed


# -- end to end: settings, the CLI and a playbook with the vault backend selected --


class TestVaultEndToEnd(RemoteEndToEnd):
    """Each test gets its own prefix and a token whose policy allows only that prefix."""

    backend_name = "vault"
    prefix_variable = "GLASSDOME_VAULT_PREFIX"

    @pytest.fixture(autouse=True)
    def _server(self, openbao: OpenBao, token_env: dict[str, str], prefix: str) -> None:
        self.openbao = openbao
        self.prefix = prefix

    def put(self, name: str, value: str) -> None:
        self.openbao.write_kv(f"{self.prefix}/{name}", value=value)

    def read(self, name: str) -> str:
        found = self.openbao.read_kv(f"{self.prefix}/{name}")
        assert list(found) == ["value"], "glassdome writes one field, 'value'"
        return str(found["value"])
