"""Whether the vault backend can work: it says why not, writes nothing, never hangs,
refuses plain HTTP to another machine, and is never picked by auto selection."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from glassdome.backends.registry import backend_factories
from glassdome.core.secrets import SecretsManager
from glassdome.errors import BackendUnavailable
from tests.backends.local_server import refused_url, silent_url
from tests.backends.openbao import OpenBao, use_vault
from tests.backends.remote import why_unavailable
from tests.backends.vault_support import backend, vault_manager
from tests.conftest import PASSWORD


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
