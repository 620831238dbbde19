"""The ai wizard end to end, against HTTPS servers that answer as OpenAI, Anthropic and Mailcow.

Every run is a real `glassdome play` (or `invoke setup.ai`) process with a file
store in a temporary home; the servers (tests/setup/peers/ai_servers.py) run
on 127.0.0.1 with a CA made for the run and record what they were sent.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from glassdome.primitives.envfile import read_values
from glassdome.steps.ai import base_url, scrub
from glassdome.steps.net import format_fingerprint
from tests.cli.runner import Result, finish
from tests.playbook import support as playbook
from tests.playbook.support import step_messages
from tests.setup.peers.ai_servers import (
    ANTHROPIC_MODELS,
    OPENAI_MODELS,
    AnthropicServer,
    Certificates,
    MailcowServer,
    OpenAiServer,
    Seen,
    openai_quote,
    refused_port,
)
from tests.setup.support import WizardCli, assert_no_leak, statuses, work_folder

ENV_BEFORE = (
    "# lab settings, kept as they are\n"
    "PROXMOX_HOST=pve.lab.example  # the main node\n"
    'export AWS_REGION="eu-central-1"\n'
    "\n"
    "MAIL_HOST=old-mail.example.org\n"
    "# trailing comment\n"
)
AI_KEYS = ("OPENAI_BASE_URL", "OPENAI_CA_FILE", "ANTHROPIC_BASE_URL", "ANTHROPIC_CA_FILE")
MAIL_KEYS = ("MAIL_HOST", "MAIL_PORT", "MAIL_VERIFY_SSL", "MAIL_CA_FILE", "MAIL_TLS_FINGERPRINT")
BEFORE = {"proxmox_token_value": "pve-token-kept-as-it-was"}  # a secret a run must not touch


def _mailcow_key() -> str:
    return "-".join(secrets.token_hex(3).upper() for _ in range(5))


@dataclass
class Lab:
    """The three servers, their CA, and the keys they accept."""

    certs: Certificates
    openai: OpenAiServer
    anthropic: AnthropicServer
    mailcow: MailcowServer
    openai_key: str
    anthropic_key: str
    mail_key: str
    denied_mail_key: str

    def answers(self, **changes: Any) -> dict[str, Any]:
        """Answers setting up all three against the local servers (keys not included)."""
        values: dict[str, Any] = {
            "setup_openai": True,
            "openai_base_url": f"{self.openai.base}/v1",
            "openai_ca_file": str(self.certs.ca_file),
            "setup_anthropic": True,
            "anthropic_base_url": self.anthropic.base,
            "anthropic_ca_file": str(self.certs.ca_file),
            "setup_mail": True,
            "mail_host": "127.0.0.1",
            "mail_port": self.mailcow.port,
            "mail_tls": "ca",
            "mail_ca_file": str(self.certs.ca_file),
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}

    @property
    def all_keys(self) -> list[str]:
        return [self.openai_key, self.anthropic_key, self.mail_key, self.denied_mail_key]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    certs = Certificates(tmp_path)
    openai_key = "sk-proj-" + secrets.token_urlsafe(40)
    anthropic_key = "sk-ant-api03-" + secrets.token_urlsafe(60)
    mail_key, denied = _mailcow_key(), _mailcow_key()
    with ExitStack() as stack:
        yield Lab(
            certs,
            stack.enter_context(OpenAiServer(certs, {openai_key})),
            stack.enter_context(AnthropicServer(certs, {anthropic_key})),
            stack.enter_context(MailcowServer(certs, {mail_key}, frozenset({denied}))),
            openai_key,
            anthropic_key,
            mail_key,
            denied,
        )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return work_folder(tmp_path, ENV_BEFORE)


@pytest.fixture
def cli(home: Path, work: Path) -> WizardCli:
    return WizardCli(home, work, wizard="ai")


def _play(cli: WizardCli, answers: dict[str, Any], *args: str, **env: str) -> Result:
    return cli.play("--answers", str(cli.write_answers(answers)), *args, **env)


def _without(text: str, keys: tuple[str, ...]) -> str:
    """*text* without the lines binding *keys* (what a run may change)."""
    pattern = re.compile(rf"^(?:export\s+)?(?:{'|'.join(keys)})\s*=")
    return "".join(line for line in text.splitlines(keepends=True) if not pattern.match(line))


def _env(work: Path) -> str:
    return (work / ".env").read_bytes().decode("utf-8")


def _assert_no_secret(output: str, *values: str) -> None:
    for value in values:
        assert_no_leak(value, [output])


def _headers(seen: list[Seen], name: str) -> list[str]:
    return [request.headers.get(name, "") for request in seen]


def test_answers_file_run_verifies_stores_keeps_env_and_a_second_run_changes_nothing(
    lab: Lab, cli: WizardCli, home: Path, work: Path
) -> None:
    """Non-interactive (answers file + GLASSDOME_INPUT_*), then again via invoke: all ok."""
    answers = lab.answers(anthropic_api_key=lab.anthropic_key, mail_api=lab.mail_key)
    env = {"GLASSDOME_INPUT_OPENAI_API_KEY": lab.openai_key}
    first = _play(cli, answers, "--no-input", "--json", **env)
    assert first.code == 0, str(first)
    assert set(statuses(first).values()) == {"changed", "ok"}, str(first)
    assert statuses(first)["openai_key"] == "changed"

    stored = playbook.stored(home)
    assert stored.keys() == {"openai_api_key", "anthropic_api_key", "mail_api", "secret_key"}
    assert stored["openai_api_key"] == lab.openai_key
    assert stored["anthropic_api_key"] == lab.anthropic_key
    assert stored["mail_api"] == lab.mail_key
    assert len(stored["secret_key"]) == 48
    assert cli.get("mail_api") == lab.mail_key  # the CLI reads the same store

    after = _env(work)
    assert _without(after, AI_KEYS + MAIL_KEYS) == _without(ENV_BEFORE, AI_KEYS + MAIL_KEYS)
    values = read_values(work / ".env")
    assert values["OPENAI_BASE_URL"] == f"{lab.openai.base}/v1"
    assert values["OPENAI_CA_FILE"] == str(lab.certs.ca_file)
    assert values["ANTHROPIC_BASE_URL"] == lab.anthropic.base
    assert values["MAIL_HOST"] == "127.0.0.1"
    assert values["MAIL_PORT"] == str(lab.mailcow.port)
    assert values["MAIL_VERIFY_SSL"] == "true"
    assert values["MAIL_CA_FILE"] == str(lab.certs.ca_file)
    assert values["MAIL_TLS_FINGERPRINT"] == ""
    assert after.index("MAIL_HOST=127.0.0.1") == ENV_BEFORE.index("MAIL_HOST=")  # in place

    # Each server saw its own documented authentication, on its documented path.
    assert [s.path for s in lab.openai.seen] == ["/v1/models"]
    assert _headers(lab.openai.seen, "authorization") == [f"Bearer {lab.openai_key}"]
    assert [s.path for s in lab.anthropic.seen] == ["/v1/models"]
    assert _headers(lab.anthropic.seen, "x-api-key") == [lab.anthropic_key]
    assert _headers(lab.anthropic.seen, "anthropic-version") == ["2023-06-01"]
    assert [s.path for s in lab.mailcow.seen] == ["/api/v1/get/status/containers"]
    assert _headers(lab.mailcow.seen, "x-api-key") == [lab.mail_key]
    messages = step_messages(first)
    assert f"{len(OPENAI_MODELS)} models" in messages["openai_key"]
    assert ANTHROPIC_MODELS[0] in messages["anthropic_key"]
    assert "3 of 4 containers running" in messages["mail_key"]
    assert format_fingerprint(lab.certs.der) in messages["mail_cert"]  # shown, for pinning

    second = cli.invoke(
        "setup.ai", "--answers", str(cli.write_answers(answers)), "--no-input", "--json", **env
    )
    assert second.code == 0, str(second)
    assert set(statuses(second).values()) == {"ok"}, str(second)
    assert playbook.stored(home) == stored
    assert _env(work) == after
    assert len(lab.openai.seen) == 2  # a stored key is still verified on every run
    _assert_no_secret(
        first.out + first.err + second.out + second.err, *lab.all_keys, stored["secret_key"]
    )


def test_terminal_run_typing_the_answers_pins_the_mailcow_fingerprint(
    lab: Lab, cli: WizardCli, home: Path, work: Path
) -> None:
    """Through a pseudo-terminal: hidden keys, defaults, a choice, and a pinned certificate."""
    fingerprint = format_fingerprint(lab.certs.der)
    child = cli.spawn_play()
    try:
        child.expect("Set up the OpenAI API key")
        child.sendline("yes")
        child.expect("OpenAI API key")
        child.waitnoecho()
        child.sendline(lab.openai_key)
        child.expect(r"OpenAI API base URL.*\(https://api\.openai\.com/v1\)")
        child.sendline(f"{lab.openai.base}/v1")
        child.expect(r"CA file .*\(system\)")
        child.sendline(str(lab.certs.ca_file))
        child.expect("Set up the Anthropic API key")
        child.sendline("")  # the default: no
        child.expect("Set up the Mailcow API key")
        child.sendline("y")
        child.expect("Mailcow host name")
        child.sendline("127.0.0.1")
        child.expect(r"Mailcow HTTPS port.*\(443\)")
        child.sendline(str(lab.mailcow.port))
        child.expect("Mailcow API key")
        child.waitnoecho()
        child.sendline(lab.mail_key)
        child.expect(r"How to trust the Mailcow certificate.*\[verify/ca/fingerprint/insecure\]")
        child.sendline("fingerprint")
        child.expect("SHA-256 fingerprint of the Mailcow certificate")
        child.sendline(fingerprint.lower().replace(":", ""))  # either spelling is accepted
        code, transcript = finish(child)
    finally:
        child.close(force=True)
    assert code == 0, transcript
    stored = playbook.stored(home)
    assert stored.keys() == {"openai_api_key", "mail_api", "secret_key"}
    assert stored["mail_api"] == lab.mail_key
    values = read_values(work / ".env")
    assert values["MAIL_TLS_FINGERPRINT"] == fingerprint
    assert values["MAIL_CA_FILE"] == ""
    assert "ANTHROPIC_BASE_URL" not in values
    assert lab.anthropic.seen == []
    _assert_no_secret(transcript, *lab.all_keys, stored["secret_key"])


def test_a_partial_answers_file_sets_up_only_what_it_names(
    lab: Lab, cli: WizardCli, home: Path, work: Path
) -> None:
    """Only Anthropic answered: the rest is skipped, asks nothing, and touches nothing."""
    answers = {"setup_anthropic": True, "anthropic_base_url": lab.anthropic.base}
    answers["anthropic_ca_file"] = str(lab.certs.ca_file)
    result = _play(
        cli, answers, "--no-input", "--json", GLASSDOME_INPUT_ANTHROPIC_API_KEY=lab.anthropic_key
    )
    assert result.code == 0, str(result)
    steps = statuses(result)
    assert steps["anthropic_key"] == "changed"
    assert {steps[s] for s in ("openai_key", "mail_cert", "mail_key", "mail_settings")} == {
        "skipped"
    }
    assert playbook.stored(home).keys() == {"anthropic_api_key", "secret_key"}
    assert lab.openai.seen == []
    assert lab.mailcow.seen == []
    assert _without(_env(work), ("ANTHROPIC_BASE_URL", "ANTHROPIC_CA_FILE")) == ENV_BEFORE


REJECTIONS = {
    "openai": ("openai_key", "HTTP 401 invalid_api_key: Incorrect API key provided: ***."),
    "anthropic": ("anthropic_key", "HTTP 401 authentication_error: invalid x-api-key"),
    "mailcow": ("mail_key", "HTTP 401 authentication failed"),
    "mailcow-ip": ("mail_key", "HTTP 401 api access denied for ip 127.0.0.1"),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_a_rejected_key_stores_nothing_and_says_why_in_one_line(
    case: str, lab: Lab, cli: WizardCli, home: Path, work: Path
) -> None:
    """Exit 1, the platform's reason on one line, the store and .env exactly as before."""
    playbook.seed(home, BEFORE)
    wrong = {
        "openai": "sk-proj-" + secrets.token_urlsafe(30) + "Zq9X",
        "anthropic": "sk-ant-api03-" + secrets.token_urlsafe(40),
        "mailcow": _mailcow_key(),
        "mailcow-ip": lab.denied_mail_key,
    }[case]
    keys = {
        "openai_api_key": lab.openai_key,
        "anthropic_api_key": lab.anthropic_key,
        "mail_api": lab.mail_key,
    }
    platform = case.removesuffix("-ip")
    keys[
        {"openai": "openai_api_key", "anthropic": "anthropic_api_key"}.get(platform, "mail_api")
    ] = wrong
    only = {"openai": "setup_openai", "anthropic": "setup_anthropic"}.get(platform, "setup_mail")
    answers = lab.answers(**dict.fromkeys(("setup_openai", "setup_anthropic", "setup_mail"), False))
    answers[only] = True
    env = {f"GLASSDOME_INPUT_{name.upper()}": value for name, value in keys.items()}
    result = _play(cli, answers, "--no-input", **env)

    assert result.code == 1, str(result)
    step, reason = REJECTIONS[case]
    failed = [line for line in result.out.splitlines() if line.startswith("failed")]
    assert len(failed) == 1, str(result)
    assert failed[0].split()[1] == step
    assert reason in failed[0], str(result)
    assert "Traceback" not in result.out + result.err
    assert playbook.stored(home) == BEFORE
    assert _env(work) == ENV_BEFORE
    output = result.out + result.err
    _assert_no_secret(output, *keys.values())
    if case == "openai":
        # The server's message quoted the key's first 8 and last 4 characters: none is shown.
        assert _headers(lab.openai.seen, "authorization") == [f"Bearer {wrong}"]
        assert openai_quote(wrong) not in output
        assert "Zq9X" not in output


def test_tls_trust_failures_say_why_and_send_no_key(lab: Lab, cli: WizardCli, home: Path) -> None:
    """Untrusted CA, a wrong pin, public CAs for a private server: one line, nothing sent."""
    cases = [
        (
            {"setup_mail": True, "mail_tls": "verify", "mail_ca_file": None},
            "mail_key",
            "TLS certificate not trusted",
        ),
        (
            {"setup_mail": True, "mail_tls": "fingerprint", "mail_fingerprint": "AB" * 32},
            "mail_key",
            "TLS certificate mismatch: the server's SHA-256 is "
            + format_fingerprint(lab.certs.der),
        ),
        ({"setup_openai": True, "openai_ca_file": "system"}, "openai_key", "not trusted"),
    ]
    for changes, step, reason in cases:
        answers = lab.answers(setup_openai=False, setup_anthropic=False, setup_mail=False)
        answers.update({k: v for k, v in changes.items() if v is not None})
        if changes.get("mail_ca_file", "") is None:
            answers.pop("mail_ca_file")
        result = _play(
            cli,
            answers,
            "--no-input",
            "--json",
            GLASSDOME_INPUT_MAIL_API=lab.mail_key,
            GLASSDOME_INPUT_OPENAI_API_KEY=lab.openai_key,
        )
        assert result.code == 1, str(result)
        assert statuses(result)[step] == "failed"
        message = step_messages(result)[step]
        assert reason in message, message
        assert "\n" not in message
        _assert_no_secret(result.out + result.err, lab.mail_key, lab.openai_key)
    assert lab.mailcow.seen == []  # no request, no header, no key
    assert lab.openai.seen == []
    assert lab.mailcow.failed_handshakes >= 1  # the untrusted CA: refused in the handshake
    assert playbook.stored(home) == {}


def test_insecure_tls_warns_and_records_it(
    lab: Lab, cli: WizardCli, home: Path, work: Path
) -> None:
    """tls: insecure is an explicit choice: it works, warns, and .env says MAIL_VERIFY_SSL=false."""
    answers = lab.answers(setup_openai=False, setup_anthropic=False, mail_tls="insecure")
    answers.pop("mail_ca_file")
    result = _play(cli, answers, "--no-input", GLASSDOME_INPUT_MAIL_API=lab.mail_key)
    assert result.code == 0, str(result)
    assert "TLS certificate checks are OFF" in result.err
    assert playbook.stored(home)["mail_api"] == lab.mail_key
    assert read_values(work / ".env")["MAIL_VERIFY_SSL"] == "false"


def test_no_verify_stores_without_contacting_the_platform(
    lab: Lab, cli: WizardCli, home: Path
) -> None:
    """--no-verify: the engine warns, the key is stored, the server sees no request."""
    answers = lab.answers(setup_anthropic=False, setup_mail=False)
    result = _play(
        cli, answers, "--no-input", "--no-verify", GLASSDOME_INPUT_OPENAI_API_KEY="sk-unchecked-1"
    )
    assert result.code == 0, str(result)
    assert "--no-verify" in result.err
    assert playbook.stored(home)["openai_api_key"] == "sk-unchecked-1"
    assert lab.openai.seen == []


def test_check_mode_verifies_but_stores_and_writes_nothing(
    lab: Lab, cli: WizardCli, home: Path, work: Path
) -> None:
    """--check asks the platforms (read-only) and reports what would change."""
    answers = lab.answers(anthropic_api_key=lab.anthropic_key, mail_api=lab.mail_key)
    result = _play(
        cli, answers, "--no-input", "--check", GLASSDOME_INPUT_OPENAI_API_KEY=lab.openai_key
    )
    assert result.code == 0, str(result)
    assert "would change" in result.out
    assert playbook.stored(home) == {}
    assert _env(work) == ENV_BEFORE
    assert len(lab.openai.seen) == len(lab.anthropic.seen) == len(lab.mailcow.seen) == 1


def test_a_server_that_is_not_there_is_one_line(lab: Lab, cli: WizardCli, home: Path) -> None:
    """Connection refused names the address; nothing is stored."""
    sock, port = refused_port()
    try:
        answers = lab.answers(
            setup_anthropic=False, setup_mail=False, openai_base_url=f"https://127.0.0.1:{port}"
        )
        result = _play(
            cli, answers, "--no-input", "--json", GLASSDOME_INPUT_OPENAI_API_KEY=lab.openai_key
        )
    finally:
        sock.close()
    assert result.code == 1, str(result)
    assert step_messages(result)["openai_key"] == f"127.0.0.1:{port}: connection refused " + (
        "(is the service running on that port?)"
    )
    assert playbook.stored(home) == {}


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (
            "Incorrect API key provided: sk-proj-**********Qz7W. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "sk-proj-abcdefghijQz7W",
            "Incorrect API key provided: ***. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
        ),
        ("Incorrect API key provided: short. Try again", "short", "Incorrect API key provided: "),
        ("invalid x-api-key", "sk-ant-xyz-123456789", "invalid x-api-key"),
        ("line one\nline two\r\n  three", "k" * 20, "line one line two three"),
        ("key 'abcdefghijklmnop' bad", "abcdefghijklmnop", "key '***' bad"),
    ],
)
def test_scrub_removes_the_key_and_the_fragments_platforms_quote(
    text: str, key: str, expected: str
) -> None:
    assert scrub(text, key).startswith(expected)
    assert key not in scrub(text, key)


@pytest.mark.parametrize(
    ("provider", "given", "expected"),
    [
        ("openai", None, "https://api.openai.com/v1"),
        ("openai", "https://api.openai.com", "https://api.openai.com/v1"),
        ("openai", "https://gw.example/openai/v1/", "https://gw.example/openai/v1"),
        ("anthropic", None, "https://api.anthropic.com"),
        ("anthropic", "https://proxy.example/", "https://proxy.example"),
    ],
)
def test_base_url_is_what_the_sdk_variable_means(
    provider: str, given: str | None, expected: str
) -> None:
    assert base_url(provider, given) == expected


def test_a_mangled_paste_is_refused_before_anything_is_sent(
    lab: Lab, cli: WizardCli, home: Path
) -> None:
    """A key with a space or a curly quote never reaches a header (or a message)."""
    mangled = "sk-proj-abc def\u2019ghijklmnop"  # a space and a curly quote
    answers = lab.answers(setup_anthropic=False, setup_mail=False)
    result = _play(cli, answers, "--no-input", "--json", GLASSDOME_INPUT_OPENAI_API_KEY=mangled)
    assert result.code == 1, str(result)
    assert (
        "holds spaces, line breaks or non-ASCII characters" in step_messages(result)["openai_key"]
    )
    assert lab.openai.seen == []
    assert playbook.stored(home) == {}
    _assert_no_secret(result.out + result.err, mangled)
