"""The aws backend against moto's server with authentication enforced: layout, delete, failures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from glassdome.backends.aws_secrets import AwsSecretsBackend
from glassdome.core.secrets import SecretsManager
from glassdome.errors import BackendUnavailable, SecretStoreError
from tests.backends.local_server import refused_url, silent_url
from tests.backends.moto_server import Moto, use_aws
from tests.backends.remote import RemoteEndToEnd, from_environment, why_unavailable


def backend() -> AwsSecretsBackend:
    return from_environment(AwsSecretsBackend.from_context)


def aws_manager(home: Path) -> SecretsManager:
    return SecretsManager(home=home, backend="aws")


# -- layout ---------------------------------------------------------------------------


def test_a_secret_is_prefix_slash_name_with_the_value_as_secret_string(
    moto: Moto, aws_env: dict[str, str], prefix: str, home: Path
) -> None:
    aws_manager(home).set_secret("azure_client_secret", "värde-1")
    found = moto.secrets_client().get_secret_value(SecretId=f"{prefix}/azure_client_secret")
    assert found["SecretString"] == "värde-1"


def test_glassdome_reads_what_another_client_wrote_and_lists_only_its_prefix(
    moto: Moto, aws_env: dict[str, str], prefix: str, home: Path
) -> None:
    other = moto.secrets_client()
    other.create_secret(Name=f"{prefix}/openai_api_key", SecretString="from-boto3")
    other.create_secret(Name=f"{prefix}x/outside", SecretString="not ours")
    other.create_secret(Name=f"{prefix.upper()}/upper", SecretString="not ours either")
    manager = aws_manager(home)
    assert manager.get_secret("openai_api_key") == "from-boto3"
    assert manager.list_secrets() == ["openai_api_key"]


def test_a_binary_secret_is_an_error_not_a_guess(
    moto: Moto, aws_env: dict[str, str], prefix: str, home: Path
) -> None:
    moto.secrets_client().create_secret(Name=f"{prefix}/blob", SecretBinary=b"\x00\x01")
    with pytest.raises(SecretStoreError, match="holds binary data"):
        aws_manager(home).get_secret("blob")


# -- delete, recovery window, restore -------------------------------------------------


def test_delete_keeps_the_recovery_window_and_setting_again_restores(
    moto: Moto, aws_env: dict[str, str], prefix: str, home: Path
) -> None:
    manager = aws_manager(home)
    manager.set_secret("windowed", "before")
    assert manager.delete_secret("windowed") is True
    other = moto.secrets_client()
    described = other.describe_secret(SecretId=f"{prefix}/windowed")
    assert described.get("DeletedDate")  # scheduled, still recoverable
    assert manager.get_secret("windowed") is None
    assert manager.list_secrets() == []
    assert manager.delete_secret("windowed") is False

    aws_manager(home).set_secret("windowed", "after")
    assert not other.describe_secret(SecretId=f"{prefix}/windowed").get("DeletedDate")
    assert aws_manager(home).get_secret("windowed") == "after"
    assert aws_manager(home).list_secrets() == ["windowed"]


def test_force_delete_removes_at_once(
    moto: Moto,
    aws_env: dict[str, str],
    prefix: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GLASSDOME_AWS_FORCE_DELETE", "1")
    manager = aws_manager(home)
    manager.set_secret("gone_now", "value")
    assert manager.delete_secret("gone_now") is True
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        moto.secrets_client().describe_secret(SecretId=f"{prefix}/gone_now")


def test_set_many_restores_scheduled_names_in_a_large_batch(
    aws_env: dict[str, str], home: Path
) -> None:
    """Twenty names or more take their state from one listing, deleted ones included."""
    manager = aws_manager(home)
    manager.set_secret("batch_00", "old")
    manager.delete_secret("batch_00")
    items = {f"batch_{i:02d}": f"new-{i}" for i in range(25)}
    aws_manager(home).set_many(items)
    check = aws_manager(home)
    assert check.get_secret("batch_00") == "new-0"
    assert check.list_secrets() == sorted(items)


# -- listing pages through everything --------------------------------------------------


def test_list_pages_through_every_result(moto: Moto, aws_env: dict[str, str], prefix: str) -> None:
    """Pages of 10 here (AWS allows 100): 25 names take three ListSecrets requests."""
    other = moto.secrets_client()
    for i in range(25):
        other.create_secret(Name=f"{prefix}/page_{i:03d}", SecretString="v")
    store = backend()
    store.page_size = 10
    assert store.availability().available
    before = store.request_count
    names = store.names()
    assert names == [f"page_{i:03d}" for i in range(25)]
    assert store.request_count - before == 3


# -- authentication and failures -------------------------------------------------------


def test_a_wrong_secret_key_is_rejected_with_the_reason(
    moto: Moto, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    """moto enforces signatures here: a key it does not know is refused, as AWS would."""
    use_aws(monkeypatch, moto, tmp_path)
    key_id, _ = moto.keys["glassdome"]
    credentials = tmp_path / "wrong-credentials"
    credentials.write_text(
        f"[wrong]\naws_access_key_id = {key_id}\naws_secret_access_key = not-the-key\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "wrong")
    reason = why_unavailable(backend())
    assert reason.startswith("AWS rejected the credentials while listing secrets")
    assert "not-the-key" not in reason
    with pytest.raises(BackendUnavailable, match="GLASSDOME_SECRETS_BACKEND=aws was asked for"):
        aws_manager(home).get_secret("x")


def test_a_key_without_permission_is_told_what_the_policy_needs(
    moto: Moto, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This user may read, but may not list or write.
    use_aws(monkeypatch, moto, tmp_path, user="reader", GLASSDOME_AWS_PREFIX=prefix)
    store = backend()
    assert "AWS denied listing secrets" in why_unavailable(store)
    with pytest.raises(SecretStoreError, match="AWS denied creating x"):
        store._write("x", "value", "missing")


def test_no_credentials_are_named(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_aws(monkeypatch, moto, tmp_path)
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    assert "boto3 found no usable AWS credentials" in why_unavailable(backend())


def test_an_unknown_profile_is_named(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_aws(monkeypatch, moto, tmp_path, AWS_PROFILE="nobody")
    assert "nobody" in why_unavailable(backend())


def test_no_region_is_named(moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_aws(monkeypatch, moto, tmp_path)
    monkeypatch.delenv("AWS_REGION")
    assert "no AWS region: set AWS_REGION" in why_unavailable(backend())


def test_a_refused_connection_names_the_endpoint(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = refused_url()
    use_aws(monkeypatch, moto, tmp_path, AWS_ENDPOINT_URL=endpoint)
    reason = why_unavailable(backend())
    assert reason.startswith(f"cannot reach {endpoint}")
    assert "connection refused" in reason


def test_a_server_that_never_answers_times_out(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with silent_url() as endpoint:
        use_aws(monkeypatch, moto, tmp_path, AWS_ENDPOINT_URL=endpoint, GLASSDOME_AWS_TIMEOUT="0.3")
        reason = why_unavailable(backend())
    assert "did not answer within 0.3s" in reason


def test_without_boto3_choosing_aws_says_which_extra_to_install(
    moto: Moto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    use_aws(monkeypatch, moto, tmp_path)
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(BackendUnavailable) as err:
        aws_manager(home).get_secret("x")
    assert "needs boto3, which is not installed: pip install 'glassdome[aws]'" in str(err.value)


def test_repr_and_details_never_show_credentials(
    moto: Moto, aws_env: dict[str, str], home: Path
) -> None:
    manager = aws_manager(home)
    manager.set_secret("x", "value-x")
    key_id, secret = moto.keys["glassdome"]
    shown = repr(manager.backend) + repr(manager.describe())
    assert key_id not in shown
    assert secret not in shown
    assert "value-x" not in shown
    assert manager.describe().details["endpoint"] == moto.endpoint


# -- end to end: settings, the CLI and a playbook with the aws backend selected ------


class TestAwsEndToEnd(RemoteEndToEnd):
    """Each test gets its own name prefix, reached as the IAM user allowed everything."""

    backend_name = "aws"
    prefix_variable = "GLASSDOME_AWS_PREFIX"

    @pytest.fixture(autouse=True)
    def _server(self, moto: Moto, aws_env: dict[str, str], prefix: str) -> None:
        self.moto = moto
        self.prefix = prefix

    def put(self, name: str, value: str) -> None:
        self.moto.secrets_client().create_secret(Name=f"{self.prefix}/{name}", SecretString=value)

    def read(self, name: str) -> str:
        found = self.moto.secrets_client().get_secret_value(SecretId=f"{self.prefix}/{name}")
        return str(found["SecretString"])
