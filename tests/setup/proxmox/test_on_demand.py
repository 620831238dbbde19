"""On a terminal the Proxmox wizard asks each question when the step that needs it runs.

Host and port come first, then the server's certificate is read and confirmed, and
only then the password: a wrong host or an untrusted certificate ends the run before
anything secret is typed. Without a terminal every missing input is listed at once,
before anything is sent (`tests.setup.proxmox.wizard`).
"""

from __future__ import annotations

import re

from tests.backends.local_server import free_port
from tests.cli.runner import finish
from tests.playbook.support import SETTINGS_VARIABLES
from tests.setup.peers.pve_server import PveServer
from tests.setup.support import WizardCli

PASSWORD_PROMPT = "Password of that user"


def _host_and_port(child, port: int) -> None:  # type: ignore[no-untyped-def]
    child.expect(r"host \(name or IP address\): ")
    child.sendline("127.0.0.1")
    child.expect(r"API port \(8006\): ")
    child.sendline(str(port))


def test_the_certificate_is_confirmed_before_the_password_is_asked(
    pve: PveServer, cli: WizardCli
) -> None:
    """Refusing the shown certificate ends the run: no password asked, nothing sent or stored."""
    child = cli.spawn_play(unset=SETTINGS_VARIABLES)
    _host_and_port(child, pve.port)
    child.expect(r"\(fingerprint\): ")
    child.sendline("")
    child.expect(r"confirm it\) \(\): ")
    child.sendline("")
    child.expect(f"SHA-256 {re.escape(pve.fingerprint)}\\? \\[yes/no\\]: ")
    child.sendline("no")
    code, transcript = finish(child)
    assert code == 1, transcript
    assert "the certificate was not trusted" in transcript
    assert PASSWORD_PROMPT not in transcript
    assert "Create a new API token" not in transcript  # the mode is asked only later
    assert pve.calls() == []  # the certificate was read in the TLS handshake alone
    assert not cli.home.exists()


def test_a_wrong_host_fails_before_any_password_is_asked(cli: WizardCli) -> None:
    """Nothing listens on the port: the certificate step fails, the password is never asked."""
    child = cli.spawn_play(unset=SETTINGS_VARIABLES)
    _host_and_port(child, free_port())
    code, transcript = finish(child)
    assert code == 1, transcript
    assert "server_cert" in transcript
    assert PASSWORD_PROMPT not in transcript
    assert "How to trust" not in transcript
    assert not cli.home.exists()


def test_without_a_terminal_every_missing_input_is_listed_before_anything_runs(
    pve: PveServer, cli: WizardCli
) -> None:
    result = cli.play("--no-input", GLASSDOME_INPUT_PORT=str(pve.port), unset=SETTINGS_VARIABLES)
    assert result.code == 3, str(result)
    missing = [line.strip().split(":")[0] for line in result.err_lines[1:]]
    assert missing == ["host", "password"]
    assert pve.calls() == []
    assert not cli.home.exists()
