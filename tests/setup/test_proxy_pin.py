"""A pinned certificate fingerprint holds when HTTPS_PROXY sends the traffic through a proxy.

A real CONNECT proxy on 127.0.0.1 (tests/connect_proxy.py) tunnels to a server
whose certificate is not the pinned one: the run fails in the handshake and
that server never receives a request (no password, no token, no key). With the
right server behind the proxy, the same run succeeds through the proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from glassdome.steps.ai import _get
from glassdome.steps.base import StepFailed
from glassdome.steps.tls import TlsArgs, requests_session
from tests.cli.runner import Result
from tests.connect_proxy import ConnectProxy
from tests.playbook.support import SETTINGS_VARIABLES, events, stored
from tests.playbook.tls_server import TlsServer
from tests.setup.peers.pve_server import PveServer
from tests.setup.support import WizardCli, work_folder

PASSWORD = "Pve-proxy-pa55w0rd-9q"
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy")


def proxy_env(proxy: ConnectProxy) -> dict[str, str]:
    return {"HTTPS_PROXY": proxy.url, "https_proxy": proxy.url}


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[PveServer]:
    with PveServer(tmp_path, password=PASSWORD) as server:
        yield server


@pytest.fixture
def impostor(tmp_path: Path) -> Iterator[PveServer]:
    """A PVE server with the same password but a certificate of its own."""
    folder = tmp_path / "impostor"
    folder.mkdir()
    with PveServer(folder, password=PASSWORD) as server:
        yield server


@pytest.fixture
def cli(home: Path, tmp_path: Path) -> WizardCli:
    return WizardCli(home=home, cwd=work_folder(tmp_path, ""), wizard="proxmox")


def run_wizard(
    cli: WizardCli, pve: PveServer, proxy: ConnectProxy, mode: str, secret: str
) -> Result:
    answers = {"host": "127.0.0.1", "port": pve.port, "fingerprint": pve.fingerprint}
    env = {**proxy_env(proxy)}
    if mode == "existing":
        answers |= {"mode": "existing", "token_id": "root@pam!ci"}
        env["GLASSDOME_INPUT_TOKEN_VALUE"] = secret
    else:
        env["GLASSDOME_INPUT_PASSWORD"] = PASSWORD
    path = cli.write_answers(answers)
    return cli.play(
        "--answers",
        str(path),
        "--no-input",
        "--json",
        unset=(*SETTINGS_VARIABLES, *NO_PROXY_VARIABLES),
        **env,
    )


@pytest.mark.parametrize("mode", ["password", "existing"])
def test_proxmox_pin_holds_through_an_https_proxy(
    pve: PveServer, impostor: PveServer, cli: WizardCli, mode: str
) -> None:
    """Password login and token-only verification: the impostor behind the proxy sees nothing."""
    secret = pve.state.add_token("root@pam", "ci", privsep=0)
    with ConnectProxy(target=impostor.port) as proxy:
        result = run_wizard(cli, pve, proxy, mode, secret)
    assert result.code == 1, str(result)
    failed = [e for e in events(result) if e["event"] == "step" and e["status"] == "failed"]
    assert len(failed) == 1, str(result)
    assert "TLS certificate mismatch" in str(failed[0]["message"]), str(result)
    assert proxy.connects, "the run did not go through the proxy"
    assert impostor.calls() == []
    assert PASSWORD not in impostor.received_text()
    assert secret not in impostor.received_text()
    assert pve.calls() == []
    assert stored(cli.home) == {}

    with ConnectProxy() as proxy:
        result = run_wizard(cli, pve, proxy, mode, secret)
    assert result.code == 0, str(result)
    assert proxy.connects == [f"127.0.0.1:{pve.port}"] * len(proxy.connects)
    assert proxy.connects
    assert pve.calls()
    assert impostor.calls() == []


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[TlsServer, TlsServer]]:
    """(the pinned server, an impostor with another certificate)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with TlsServer(tmp_path / "a") as right, TlsServer(tmp_path / "b") as wrong:
        yield right, wrong


@pytest.fixture
def proxied(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NO_PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_shared_session_pin_holds_through_an_https_proxy(
    servers: tuple[TlsServer, TlsServer], proxied: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`requests_session`, which the Azure and Proxmox steps use, through a CONNECT proxy."""
    right, wrong = servers
    args = TlsArgs(tls="fingerprint", ca_file=None, fingerprint=right.fingerprint)
    with ConnectProxy(target=wrong.port) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with requests_session(args) as session, pytest.raises(Exception, match="ingerprint"):
            session.get(right.base + "/x", headers={"Authorization": "Bearer t0k3n"}, timeout=10)
        wrong.wait_for_connections(1)
    assert proxy.connects
    assert wrong.received == [b""]
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with requests_session(args) as session:
            response = session.get(right.base + "/x", timeout=10)
    assert response.status_code == 200
    assert proxy.connects == [f"127.0.0.1:{right.port}"]


def test_shared_session_pin_holds_through_all_proxy(
    servers: tuple[TlsServer, TlsServer], proxied: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    right, wrong = servers
    args = TlsArgs(tls="fingerprint", ca_file=None, fingerprint=right.fingerprint)
    with ConnectProxy(target=wrong.port) as proxy:
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        with requests_session(args) as session, pytest.raises(Exception, match="ingerprint"):
            session.get(right.base + "/x", timeout=10)
        wrong.wait_for_connections(1)
    assert proxy.connects
    assert wrong.received == [b""]


def test_no_proxy_still_bypasses_the_proxy(
    servers: tuple[TlsServer, TlsServer], proxied: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    right, wrong = servers
    args = TlsArgs(tls="fingerprint", ca_file=None, fingerprint=right.fingerprint)
    with ConnectProxy(target=wrong.port) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with requests_session(args) as session:
            assert session.get(right.base + "/x", timeout=10).status_code == 200
    assert proxy.connects == []
    assert wrong.received == []


def test_ai_mailcow_get_pin_holds_through_an_https_proxy(
    servers: tuple[TlsServer, TlsServer], proxied: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The AI and Mailcow steps' request (`glassdome.steps.ai._get`) through a CONNECT proxy."""
    right, wrong = servers
    args = TlsArgs(tls="fingerprint", ca_file=None, fingerprint=right.fingerprint)
    headers = {"X-API-Key": "mailcow-key-never-sent-3f"}
    with ConnectProxy(target=wrong.port) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with pytest.raises(StepFailed):
            _get(args, right.base + "/api/v1/get/status/version", headers, 10)
        wrong.wait_for_connections(1)
    assert proxy.connects
    assert wrong.received == [b""]
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        response = _get(args, right.base + "/api/v1/get/status/version", headers, 10)
    assert response.status_code == 200
    assert proxy.connects == [f"127.0.0.1:{right.port}"]
    assert "mailcow-key-never-sent-3f" in right.requests_text()
