"""net.tls_fingerprint and http.check against real TLS servers on 127.0.0.1.

Certificates come from a CA made for this test run (trustme). The server records
what each client sent, so a rejected certificate is proven to have cost no request.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.playbook.support import PlaybookCli, step_messages, step_statuses
from tests.playbook.tls_server import TlsServer, colon_hex, refused_port

FINGERPRINT = re.compile(r"(?:[0-9A-F]{2}:){31}[0-9A-F]{2}")


@pytest.fixture
def server(tmp_path: Path):
    with TlsServer(tmp_path) as running:
        yield running


def test_tls_fingerprint_is_the_sha256_of_the_certificate_der(
    cli: PlaybookCli, server: TlsServer, work: Path
):
    cli.write(
        "playbook.yml",
        """\
name: fingerprint
inputs:
  - {name: port, type: port}
steps:
  - id: fp
    uses: net.tls_fingerprint
    with: {host: 127.0.0.1, port: "{{ inputs.port }}"}
  - id: save
    uses: config.set
    with: {values: {PVE_FINGERPRINT: "{{ steps.fp.sha256 }}"}}
""",
    )
    result = cli.play("playbook.yml", "--set", f"port={server.port}")
    assert result.code == 0, str(result)
    server.wait_for_connections(1)
    expected = colon_hex(server.der)
    assert FINGERPRINT.fullmatch(expected)
    assert step_statuses(result) == [("fp", "ok"), ("save", "changed")]
    assert step_messages(result)["fp"] == f"127.0.0.1:{server.port} SHA-256 {expected}"
    assert (work / ".env").read_text() == f"PVE_FINGERPRINT={expected}\n"
    assert server.received == [b""]  # read-only: it sent nothing after the handshake


def test_refused_and_unresolvable_give_one_line_messages(cli: PlaybookCli):
    sock, port = refused_port()
    try:
        cli.write(
            "playbook.yml",
            f"""\
name: unreachable
steps:
  - id: refused
    uses: net.tls_fingerprint
    with: {{host: 127.0.0.1, port: {port}}}
    ignore_errors: true
  - id: unresolved
    uses: net.tls_fingerprint
    with: {{host: no-such-host.invalid, port: 443}}
    ignore_errors: true
  - id: http_refused
    uses: http.check
    with: {{url: "https://127.0.0.1:{port}/"}}
""",
        )
        result = cli.play("playbook.yml")
    finally:
        sock.close()
    assert result.code == 1, str(result)
    messages = step_messages(result)
    assert messages["refused"] == (
        f"127.0.0.1:{port}: connection refused (is the service running on that port?)"
    )
    assert messages["unresolved"].startswith("no-such-host.invalid: name not resolved (")
    assert messages["http_refused"] == messages["refused"]
    assert all("\n" not in message for message in messages.values())
    assert "Traceback" not in result.err


def test_http_check_trusts_a_ca_file_and_refuses_an_untrusted_certificate(
    cli: PlaybookCli, server: TlsServer
):
    """With ca_file the request is made; without it the handshake fails, no request is sent."""
    cli.write(
        "playbook.yml",
        f"""\
name: trust
steps:
  - id: trusted
    uses: http.check
    with: {{url: "https://127.0.0.1:{server.port}/health", ca_file: "{server.ca_file}"}}
  - id: untrusted
    uses: http.check
    with: {{url: "https://127.0.0.1:{server.port}/other", headers: {{X-Probe: untrusted-9a}}}}
""",
    )
    result = cli.play("playbook.yml")
    assert result.code == 1, str(result)
    server.wait_for_connections(2)
    assert step_statuses(result) == [("trusted", "ok"), ("untrusted", "failed")]
    messages = step_messages(result)
    assert messages["trusted"] == f"https://127.0.0.1:{server.port}/health: HTTP 200"
    assert messages["untrusted"].startswith(
        f"127.0.0.1:{server.port}: TLS certificate not trusted ("
    )
    assert len(server.received) == 1
    assert server.received[0].startswith(b"GET /health HTTP/1.1\r\n")
    assert "untrusted-9a" not in server.requests_text()
    assert "/other" not in server.requests_text()


def test_pinned_fingerprint_match_is_ok_and_a_mismatch_sends_nothing(
    cli: PlaybookCli, server: TlsServer
):
    """A pin matches however it is written (hex, colons, spaces); a mismatch fails right after
    the handshake: the server sees no request and no header."""
    wrong = colon_hex(b"some other certificate")
    cli.write(
        "playbook.yml",
        f"""\
name: pinned
steps:
  - id: match
    uses: http.check
    with:
      url: "https://127.0.0.1:{server.port}/api"
      fingerprint: "{server.fingerprint.lower().replace(":", "")}"
      headers: {{X-Token: sent-when-pinned-4c}}
  - id: spaced
    uses: http.check
    with:
      url: "https://127.0.0.1:{server.port}/api"
      fingerprint: "{server.fingerprint.replace(":", " ")}"
  - id: mismatch
    uses: http.check
    with:
      url: "https://127.0.0.1:{server.port}/api"
      fingerprint: "{wrong}"
      headers: {{X-Token: never-sent-7d}}
""",
    )
    result = cli.play("playbook.yml")
    assert result.code == 1, str(result)
    server.wait_for_connections(3)
    assert step_statuses(result) == [("match", "ok"), ("spaced", "ok"), ("mismatch", "failed")]
    assert step_messages(result)["mismatch"] == (
        f"127.0.0.1:{server.port}: TLS certificate mismatch: the server's SHA-256 is not "
        "the pinned fingerprint (nothing was sent)"
    )
    assert len(server.received) == 3
    assert b"X-Token: sent-when-pinned-4c\r\n" in server.received[0]
    assert server.received[2] == b""
    assert "never-sent-7d" not in server.requests_text()


def test_unexpected_status_fails_with_both_codes(cli: PlaybookCli, tmp_path: Path):
    with TlsServer(tmp_path, status=404) as server:
        cli.write(
            "playbook.yml",
            f"""\
name: status
steps:
  - id: wants_200
    uses: http.check
    with: {{url: "https://127.0.0.1:{server.port}/missing", ca_file: "{server.ca_file}"}}
    ignore_errors: true
  - id: wants_404
    uses: http.check
    with:
      url: "https://127.0.0.1:{server.port}/missing"
      ca_file: "{server.ca_file}"
      expect_status: 404
""",
        )
        result = cli.play("playbook.yml")
        server.wait_for_connections(2)
    assert result.code == 0, str(result)
    assert step_statuses(result) == [("wants_200", "failed"), ("wants_404", "ok")]
    assert step_messages(result)["wants_200"] == (
        f"https://127.0.0.1:{server.port}/missing: HTTP 404, expected 200"
    )


def test_header_values_are_sent_but_masked_in_all_output(cli: PlaybookCli, server: TlsServer):
    """A header built from a plain (non-secret) input is still masked wherever it shows."""
    token = "plain-input-token-81f0"
    cli.write(
        "playbook.yml",
        f"""\
name: headers
inputs:
  - {{name: token}}
steps:
  - id: call
    uses: http.check
    with:
      url: "https://127.0.0.1:{server.port}/api2/json/version"
      ca_file: "{server.ca_file}"
      headers: {{Authorization: "PVEAPIToken=root@pam!ci={{{{ inputs.token }}}}"}}
  - id: echo
    uses: message
    with: {{text: "sent PVEAPIToken=root@pam!ci={{{{ inputs.token }}}}"}}
""",
    )
    for as_json in (True, False):
        result = cli.play("playbook.yml", "--set", f"token={token}", json=as_json)
        assert result.code == 0, str(result)
        assert token not in result.out + result.err
        assert "sent ***" in result.out
    server.wait_for_connections(2)
    assert f"Authorization: PVEAPIToken=root@pam!ci={token}\r\n" in server.requests_text()


def test_http_check_pin_holds_with_an_https_proxy_set(
    cli: PlaybookCli, server: TlsServer, tmp_path: Path
):
    """HTTPS_PROXY pointing at a proxy that tunnels to an impostor changes nothing: http.check
    connects to the URL's own host (http.client takes no proxy), so a mismatch sends nothing."""
    from tests.connect_proxy import ConnectProxy

    (tmp_path / "impostor").mkdir()
    with TlsServer(tmp_path / "impostor") as impostor, ConnectProxy(impostor.port) as proxy:
        for target, pin in ((impostor, server.fingerprint), (server, server.fingerprint)):
            cli.write(
                "playbook.yml",
                f"""\
name: proxied
steps:
  - id: get
    uses: http.check
    with:
      url: "https://127.0.0.1:{target.port}/api"
      fingerprint: "{pin}"
      headers: {{X-Token: never-sent-to-an-impostor-5e}}
""",
            )
            env = {"HTTPS_PROXY": proxy.url, "https_proxy": proxy.url, "ALL_PROXY": proxy.url}
            result = cli.play("playbook.yml", unset=("NO_PROXY", "no_proxy"), **env)
            target.wait_for_connections(1)
            expected = "ok" if target is server else "failed"
            assert step_statuses(result) == [("get", expected)], str(result)
        assert impostor.received == [b""]
        assert "never-sent-to-an-impostor-5e" in server.requests_text()
