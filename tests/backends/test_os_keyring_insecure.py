"""Keyrings that exist but must not hold secrets: refused by name, passed over by auto."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend

from glassdome.backends.os_keyring import insecurity
from glassdome.core.secrets import SecretsManager
from glassdome.errors import BackendUnavailable

Backend = type[KeyringBackend]


def never_chosen(cls: Backend) -> Backend:
    """Take a test class out of the registry keyring picks its own backend from.

    keyring registers every concrete backend class it sees; left there, a
    priority-0.5 class would make keyring chain it in every later in-process test.
    """
    KeyringBackend._classes.discard(cls)
    return cls


@never_chosen
class PlaintextLike(KeyringBackend):
    """Priority 0.5, like keyrings.alt's plain-text file keyring."""

    priority = 0.5

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError


@never_chosen
class EmptyChainer(ChainerBackend):
    """What keyring's chainer is when no backend is viable."""

    backends = ()


@never_chosen
class ChainsNull(ChainerBackend):
    """A chainer that would write to the null keyring."""

    backends = (null.Keyring(),)


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (null.Keyring(), "the 'null' keyring stores nothing"),
        (fail.Keyring(), "keyring found no usable OS keyring (its 'fail' backend)"),
        (EmptyChainer(), "keyring's chainer has no backends to chain"),
        (ChainsNull(), "keyring chains an unsuitable backend: the 'null' keyring stores nothing"),
        (PlaintextLike(), "has priority 0.5, which keyring does not recommend"),
    ],
    ids=["null", "fail", "empty-chainer", "chains-null", "priority-below-1"],
)
def test_insecure_keyrings_are_refused(backend: KeyringBackend, reason: str) -> None:
    found = insecurity(backend)
    assert found is not None
    assert reason in found


@pytest.mark.secret_service
def test_the_secret_service_keyring_is_secure(keyring_env: dict[str, str]) -> None:
    from keyring.backends.SecretService import Keyring

    assert insecurity(Keyring()) is None


def test_the_secret_service_keyring_without_a_bus_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends.SecretService import Keyring

    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    found = insecurity(Keyring())
    assert found is not None
    assert "is not usable here (RuntimeError" in found


def test_explicit_keyring_refuses_the_null_keyring(
    home: Path, monkeypatch: pytest.MonkeyPatch, fresh_keyring_choice: None
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    with pytest.raises(BackendUnavailable, match="the 'null' keyring stores nothing"):
        SecretsManager(home=home, backend="keyring").get_secret("anything")


def test_auto_passes_over_the_null_keyring(
    home: Path, monkeypatch: pytest.MonkeyPatch, fresh_keyring_choice: None
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    described = SecretsManager(home=home).describe()
    assert described.backend == "file"
    assert "the 'null' keyring stores nothing" in described.reason
