"""Every backend's timeout variable takes a positive number of seconds, or says what to set."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.backends.aws_secrets import AwsSecretsBackend
from glassdome.backends.base import BackendContext, seconds_setting
from glassdome.backends.os_keyring import OsKeyringBackend
from glassdome.backends.vault import VaultBackend
from glassdome.errors import BackendUnavailable
from glassdome.primitives.master import MasterPasswordSource

BACKENDS = {
    "GLASSDOME_KEYRING_TIMEOUT": OsKeyringBackend,
    "GLASSDOME_VAULT_TIMEOUT": VaultBackend,
    "GLASSDOME_AWS_TIMEOUT": AwsSecretsBackend,
}


def test_unset_gives_the_default_and_a_number_is_taken():
    assert seconds_setting({}, "X_TIMEOUT", 3.0) == 3.0
    assert seconds_setting({"X_TIMEOUT": ""}, "X_TIMEOUT", 3.0) == 3.0
    assert seconds_setting({"X_TIMEOUT": "0.25"}, "X_TIMEOUT", 3.0) == 0.25


@pytest.mark.parametrize("raw", ["0", "-1", "soon", "nan", "1s"])
def test_anything_but_a_positive_number_is_refused_naming_the_variable(raw: str):
    with pytest.raises(BackendUnavailable) as caught:
        seconds_setting({"X_TIMEOUT": raw}, "X_TIMEOUT", 3.0)
    assert str(caught.value) == (
        f"X_TIMEOUT={raw!r} is not a positive number of seconds; set it to e.g. 3"
    )


@pytest.mark.parametrize("variable", sorted(BACKENDS))
def test_each_backend_refuses_a_bad_timeout_before_connecting(tmp_path: Path, variable: str):
    env = {
        variable: "0",
        "VAULT_ADDR": "http://127.0.0.1:9",
        "VAULT_TOKEN": "unused",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }
    context = BackendContext(home=tmp_path, env=env, password=MasterPasswordSource(env={}))
    with pytest.raises(BackendUnavailable, match=f"^{variable}='0' is not a positive number"):
        BACKENDS[variable].from_context(context)
