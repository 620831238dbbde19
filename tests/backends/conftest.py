"""Fixtures for the backend tests: a private Secret Service, and the remote servers.

The OS keyring tests get a real, private gnome-keyring Secret Service. The
remote backends' tests get the session's OpenBao dev server (`openbao`) and
moto server (`moto`), and a prefix of each test's own on them (`prefix`,
`token_env`, `aws_env`: see `tests.backends.remote`).
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring.core
import pytest

from glassdome.backends.os_keyring import META_SERVICE, SERVICE
from tests.backends.moto_server import moto as moto
from tests.backends.openbao import openbao as openbao
from tests.backends.remote import aws_env as aws_env
from tests.backends.remote import prefix as prefix
from tests.backends.remote import token_env as token_env
from tests.secret_service import KEYRING_BACKEND, run_tool, secret_service, stored_items


@pytest.fixture(scope="module")
def secret_service_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One unlocked gnome-keyring per test module; yields the environment that reaches it."""
    with secret_service(tmp_path_factory.mktemp("secret-service")) as env:
        yield env


@pytest.fixture
def fresh_keyring_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `keyring` choose its backend again from this test's environment (it caches it)."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)


@pytest.fixture
def keyring_env(
    secret_service_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    fresh_keyring_choice: None,
) -> dict[str, str]:
    """Point this process at the test Secret Service, with no glassdome entry (or record) in it.

    Returns the environment a child process needs to reach the same keyring.
    """
    env = {
        **secret_service_env,
        "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND,
        # Generous: a slow machine must not turn the keyring "unavailable" (no timing tests).
        "GLASSDOME_KEYRING_TIMEOUT": "30",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for service in (SERVICE, META_SERVICE):
        run_tool(["secret-tool", "clear", "service", service], env)  # exit status 1: none matched
        assert stored_items(env, service) == []
    return env
