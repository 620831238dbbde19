"""The ESXi wizard end to end against govmomi's vSphere simulator (an ESXi host and a vCenter).

The simulator is built from tests/setup/peers/vcsim/main.go with Debian's Go and
govmomi source, serves TLS with a certificate made by trustme for this run, and
accepts exactly one user name and password.
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from glassdome.core.secrets import get_secrets_manager, reset_secrets_manager
from tests.backends.local_server import free_port
from tests.cli.runner import Result, finish
from tests.conftest import PASSWORD, REPO, in_ci, require_tool
from tests.https_peer import colon_hex
from tests.setup.peers import vcsim
from tests.setup.support import WizardCli, assert_no_leak, step_events, work_folder

# The first test may include the simulator's cold build (bounded by vcsim.BUILD_TIMEOUT).
pytestmark = pytest.mark.timeout(vcsim.BUILD_TIMEOUT + 120)

# Characters that change under JSON escaping, URL encoding and XML escaping.
ESXI_PASSWORD = 'Esx pa"ss\\w&rd<+/=%>9'
# The .env the user had before: comments, blank lines, quoting, another tool's keys.
ENV_BEFORE = (
    "# my lab\n"
    "PROXMOX_HOST=pve.lab\n"
    "\n"
    "export OTHER='kept as is'   # trailing comment\n"
    "ESXI_HOST=old.example\n"
    'QUOTED="a b"\n'
)
ESXI_KEYS = (
    "ESXI_HOST",
    "ESXI_USER",
    "ESXI_VERIFY_SSL",
    "ESXI_TLS_FINGERPRINT",
    "ESXI_CA_FILE",
    "ESXI_PORT",
)


@pytest.fixture(scope="module")
def binary() -> Path:
    """The simulator, built once (cached outside the repository across runs)."""
    require_tool("go")
    if not vcsim.GOVMOMI.is_dir():
        message = f"missing {vcsim.GOVMOMI} (run `invoke test` to install it)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return vcsim.build()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1, made for this run."""
    import trustme

    folder = tmp_path_factory.mktemp("esxi-tls")
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    files = {
        "ca": folder / "ca.pem",
        "cert": folder / "server.pem",
        "key": folder / "server.key",
    }
    ca.cert_pem.write_to_path(str(files["ca"]))
    leaf.cert_chain_pems[0].write_to_path(str(files["cert"]))
    leaf.private_key_pem.write_to_path(str(files["key"]))
    return files


@pytest.fixture
def esx(binary: Path, tls_files: dict[str, Path]) -> Iterator[vcsim.Simulator]:
    """An ESXi host model, stopped at teardown."""
    server = vcsim.start(binary, password=ESXI_PASSWORD, cert=(tls_files["cert"], tls_files["key"]))
    yield server
    server.stop()


@pytest.fixture
def fingerprint(tls_files: dict[str, Path]) -> str:
    """The server certificate's SHA-256 as AB:CD:..."""
    return colon_hex(ssl.PEM_cert_to_DER_cert(tls_files["cert"].read_text()))


@pytest.fixture
def cli(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WizardCli:
    """glassdome with a fresh file store, run from a folder whose .env has other lines.

    This process opens the same store (`stored`) the way the child processes do.
    """
    monkeypatch.setenv("GLASSDOME_MASTER_PASSWORD", PASSWORD)
    monkeypatch.setenv("GLASSDOME_SECRETS_BACKEND", "file")
    return WizardCli(home=home, cwd=work_folder(tmp_path, ENV_BEFORE), wizard="esxi")


def stored() -> dict[str, str]:
    """Everything in the test's store now, read with SecretsManager (after the children wrote)."""
    reset_secrets_manager()
    manager = get_secrets_manager()
    return {name: manager.get_secret(name) or "" for name in manager.list_secrets()}


def _answers(cli: WizardCli, **values: object) -> Path:
    return cli.write_answers(values)


def _play(cli: WizardCli, answers: Path, *extra: str, **env: str) -> Result:
    return cli.play("--answers", str(answers), "--no-input", *extra, **env)


def _statuses(result: Result) -> dict[str, str]:
    return {e["id"]: e["status"] for e in step_events(result)}


def _split_env(text: str) -> tuple[list[str], dict[str, str]]:
    """The lines other than the wizard's keys (with their line ends), and the keys' values."""
    others: list[str] = []
    ours: dict[str, str] = {}
    for line in text.splitlines(keepends=True):
        key, sep, value = line.partition("=")
        if sep and key in ESXI_KEYS:
            ours[key] = value.rstrip("\n")
        else:
            others.append(line)
    return others, ours


def _env_lines(cli: WizardCli) -> tuple[list[str], dict[str, str]]:
    return _split_env((cli.cwd / ".env").read_text())


def _assert_no_leak(*texts: str, secret: str = ESXI_PASSWORD) -> None:
    assert_no_leak(secret, texts)


def test_answers_file_and_env_variable_store_the_password_and_keep_env(
    cli: WizardCli, esx: vcsim.Simulator, fingerprint: str
):
    """Non-interactive: answers file + GLASSDOME_INPUT_PASSWORD; .env keeps every other line."""
    answers = _answers(
        cli, host=esx.host, port=esx.port, tls="fingerprint", fingerprint=fingerprint
    )
    first = _play(cli, answers, GLASSDOME_INPUT_PASSWORD=ESXI_PASSWORD)
    assert first.code == 0, str(first)
    assert "VMware ESXi 6.5.0" in first.out
    assert "apiType HostAgent" in first.out
    assert "ESXi host" in first.out
    assert cli.get("esxi_password") == ESXI_PASSWORD

    others, ours = _env_lines(cli)
    before, _ = _split_env(ENV_BEFORE)
    assert others == before  # byte for byte, in order, outside the keys the wizard sets
    assert ours == {
        "ESXI_HOST": "127.0.0.1",
        "ESXI_USER": "root",
        "ESXI_VERIFY_SSL": "true",
        "ESXI_TLS_FINGERPRINT": fingerprint,
        "ESXI_CA_FILE": "",
        "ESXI_PORT": str(esx.port),
    }
    env_text = (cli.cwd / ".env").read_text()

    second = _play(cli, answers, "--json", GLASSDOME_INPUT_PASSWORD=ESXI_PASSWORD)
    assert second.code == 0, str(second)
    statuses = _statuses(second)
    assert len(statuses) == 7, statuses
    assert set(statuses.values()) == {"ok"}, statuses
    assert (cli.cwd / ".env").read_text() == env_text
    _assert_no_leak(first.out, first.err, second.out, second.err, env_text, answers.read_text())


def test_invoke_setup_esxi_on_a_terminal_shows_the_fingerprint_and_stores(
    cli: WizardCli, esx: vcsim.Simulator, fingerprint: str
):
    """Through a real pseudo-terminal: type the answers, confirm the shown fingerprint."""
    child = cli.spawn([sys.executable, "-m", "invoke", "-r", str(REPO), "setup.esxi"])
    # Each input when the first step using it runs, in the playbook's order: the host,
    # then how to trust its certificate, which is confirmed before the login is asked.
    child.expect("ESXi host or vCenter")
    child.sendline(esx.host)
    child.expect("HTTPS port")
    child.sendline(str(esx.port))
    child.expect("How to trust the server's certificate")
    child.sendline("")  # the default, fingerprint
    child.expect(f"SHA-256 {fingerprint}\\? Type yes")
    child.sendline("yes")
    child.expect("User name")
    child.sendline("")  # the default, root
    child.expect("Password")
    assert child.waitnoecho(timeout=10), "echo was never turned off"
    child.sendline(ESXI_PASSWORD)
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "VMware ESXi 6.5.0" in transcript
    assert stored() == {"esxi_password": ESXI_PASSWORD}
    _, ours = _env_lines(cli)
    assert ours["ESXI_TLS_FINGERPRINT"] == fingerprint
    assert ours["ESXI_HOST"] == "127.0.0.1"
    _assert_no_leak(transcript, (cli.cwd / ".env").read_text())


def test_a_vcenter_is_reported_as_virtualcenter(
    cli: WizardCli, binary: Path, tls_files: dict[str, Path]
):
    """The VPX model: apiType VirtualCenter; a CA file (tls: ca) trusts its certificate."""
    server = vcsim.start(
        binary,
        password=ESXI_PASSWORD,
        username="administrator@vsphere.local",
        model="vpx",
        cert=(tls_files["cert"], tls_files["key"]),
    )
    try:
        answers = _answers(
            cli,
            host=server.host,
            port=server.port,
            user="administrator@vsphere.local",
            password=ESXI_PASSWORD,
            tls="ca",
            ca_file=str(tls_files["ca"]),
        )
        result = _play(cli, answers)
    finally:
        server.stop()
    assert result.code == 0, str(result)
    assert "vCenter" in result.out
    assert "apiType VirtualCenter" in result.out
    assert stored() == {"esxi_password": ESXI_PASSWORD}
    _, ours = _env_lines(cli)
    assert ours["ESXI_CA_FILE"] == str(tls_files["ca"])
    assert ours["ESXI_TLS_FINGERPRINT"] == ""
    assert ours["ESXI_USER"] == "administrator@vsphere.local"
    _assert_no_leak(result.out, result.err)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong_password", "login failed: Login failure (user root at 127.0.0.1:"),
        ("wrong_user", "login failed: Login failure (user admin at 127.0.0.1:"),
        ("pinned_other", "TLS certificate mismatch: the server's SHA-256 is "),
        ("untrusted", "TLS certificate not trusted"),
        ("refused", "connection refused"),
    ],
)
def test_a_failed_verification_stores_nothing_and_says_why_in_one_line(
    cli: WizardCli, esx: vcsim.Simulator, fingerprint: str, case: str, reason: str
):
    """Wrong credential, wrong pin, untrusted CA, closed port: exit 1, store and .env unchanged."""
    reset_secrets_manager()
    get_secrets_manager().set_secret("esxi_password", "the previous one")
    values: dict[str, object] = {
        "host": esx.host,
        "port": esx.port,
        "tls": "fingerprint",
        "fingerprint": fingerprint,
    }
    password = ESXI_PASSWORD
    if case == "wrong_password":
        password = ESXI_PASSWORD + "x"
    elif case == "wrong_user":
        values["user"] = "admin"
    elif case == "pinned_other":
        values["fingerprint"] = "AB:" * 31 + "AB"
    elif case == "untrusted":
        values["tls"] = "verify"
    elif case == "refused":
        values.update(port=free_port(), tls="insecure")
    answers = _answers(cli, **values)
    result = _play(cli, answers, GLASSDOME_INPUT_PASSWORD=password)
    assert result.code == 1, str(result)
    lines = [line for line in (result.out + result.err).splitlines() if reason in line]
    assert len(lines) == 1, str(result)
    assert "Traceback" not in result.err
    assert stored() == {"esxi_password": "the previous one"}
    assert (cli.cwd / ".env").read_text() == ENV_BEFORE
    _assert_no_leak(result.out, result.err, secret=password)


def test_insecure_warns_and_records_verify_ssl_false(cli: WizardCli, esx: vcsim.Simulator):
    """tls: insecure is explicit, prints a warning, and .env says ESXI_VERIFY_SSL=false."""
    answers = _answers(cli, host=esx.host, port=esx.port, password=ESXI_PASSWORD, tls="insecure")
    result = _play(cli, answers)
    assert result.code == 0, str(result)
    assert "TLS certificate checks are OFF" in result.err
    _, ours = _env_lines(cli)
    assert ours["ESXI_VERIFY_SSL"] == "false"
    assert ours["ESXI_TLS_FINGERPRINT"] == ""
    assert stored() == {"esxi_password": ESXI_PASSWORD}


def test_check_mode_logs_in_but_stores_and_writes_nothing(cli: WizardCli, esx: vcsim.Simulator):
    """--check verifies the login (read-only) and says what would change; nothing changes."""
    answers = _answers(cli, host=esx.host, port=esx.port, password=ESXI_PASSWORD, tls="insecure")
    result = _play(cli, answers, "--check", "--json")
    assert result.code == 0, str(result)
    assert _statuses(result)["verify"] == "changed"
    assert "VMware ESXi 6.5.0" in result.out
    assert (cli.cwd / ".env").read_text() == ENV_BEFORE
    assert not cli.home.exists() or stored() == {}


def test_no_verify_stores_without_connecting(cli: WizardCli):
    """--no-verify: nothing listens, yet the password is stored (with the engine's warning)."""
    answers = _answers(
        cli, host="127.0.0.1", port=free_port(), password=ESXI_PASSWORD, tls="verify"
    )
    result = _play(cli, answers, "--no-verify")
    assert result.code == 0, str(result)
    assert "--no-verify" in result.err
    assert "not verified" in result.out
    assert stored() == {"esxi_password": ESXI_PASSWORD}


def test_non_interactive_fingerprint_mode_needs_the_fingerprint(
    cli: WizardCli, esx: vcsim.Simulator
):
    """Without a terminal the certificate is never trusted silently: the answer is required."""
    answers = _answers(cli, host=esx.host, port=esx.port, password=ESXI_PASSWORD)
    result = _play(cli, answers)
    assert result.code == 1, str(result)
    assert "fingerprint: no answer and no terminal to ask on" in result.out + result.err
    assert (cli.cwd / ".env").read_text() == ENV_BEFORE
    assert not cli.home.exists() or stored() == {}


def test_without_pyvmomi_the_step_names_the_extra(monkeypatch: pytest.MonkeyPatch):
    """An ImportError becomes one line saying which extra to install."""
    from glassdome.steps.base import StepFailed
    from glassdome.steps.esxi import EsxiVerifyArgs, about_server

    monkeypatch.setitem(sys.modules, "pyVim.connect", None)
    args = EsxiVerifyArgs(host="127.0.0.1", password="x", tls="insecure")
    with pytest.raises(StepFailed, match=r"pip install 'glassdome\[esxi\]'"):
        about_server(args)
