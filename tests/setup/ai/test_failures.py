"""The ai wizard when a key, a certificate or a server is wrong: one line saying why,
nothing stored, .env unchanged, and no key sent where it should not go or shown."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from glassdome.steps.net import format_fingerprint
from tests.playbook import support as playbook
from tests.playbook.support import step_messages
from tests.setup.ai.lab import (
    BEFORE,
    ENV_BEFORE,
    Lab,
    assert_no_secret,
    env_text,
    mailcow_key,
    play,
    sent_headers,
)
from tests.setup.peers.ai_servers import openai_quote, refused_port
from tests.setup.support import WizardCli, statuses

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
        "mailcow": mailcow_key(),
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
    result = play(cli, answers, "--no-input", **env)

    assert result.code == 1, str(result)
    step, reason = REJECTIONS[case]
    failed = [line for line in result.out.splitlines() if line.startswith("failed")]
    assert len(failed) == 1, str(result)
    assert failed[0].split()[1] == step
    assert reason in failed[0], str(result)
    assert "Traceback" not in result.out + result.err
    assert playbook.stored(home) == BEFORE
    assert env_text(work) == ENV_BEFORE
    output = result.out + result.err
    assert_no_secret(output, *keys.values())
    if case == "openai":
        # The server's message quoted the key's first 8 and last 4 characters: none is shown.
        assert sent_headers(lab.openai.seen, "authorization") == [f"Bearer {wrong}"]
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
        result = play(
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
        assert_no_secret(result.out + result.err, lab.mail_key, lab.openai_key)
    assert lab.mailcow.seen == []  # no request, no header, no key
    assert lab.openai.seen == []
    assert lab.mailcow.failed_handshakes >= 1  # the untrusted CA: refused in the handshake
    assert playbook.stored(home) == {}


def test_a_server_that_is_not_there_is_one_line(lab: Lab, cli: WizardCli, home: Path) -> None:
    """Connection refused names the address; nothing is stored."""
    sock, port = refused_port()
    try:
        answers = lab.answers(
            setup_anthropic=False, setup_mail=False, openai_base_url=f"https://127.0.0.1:{port}"
        )
        result = play(
            cli, answers, "--no-input", "--json", GLASSDOME_INPUT_OPENAI_API_KEY=lab.openai_key
        )
    finally:
        sock.close()
    assert result.code == 1, str(result)
    assert step_messages(result)["openai_key"] == f"127.0.0.1:{port}: connection refused " + (
        "(is the service running on that port?)"
    )
    assert playbook.stored(home) == {}


def test_a_mangled_paste_is_refused_before_anything_is_sent(
    lab: Lab, cli: WizardCli, home: Path
) -> None:
    """A key with a space or a curly quote never reaches a header (or a message)."""
    mangled = "sk-proj-abc def\u2019ghijklmnop"  # a space and a curly quote
    answers = lab.answers(setup_anthropic=False, setup_mail=False)
    result = play(cli, answers, "--no-input", "--json", GLASSDOME_INPUT_OPENAI_API_KEY=mangled)
    assert result.code == 1, str(result)
    assert (
        "holds spaces, line breaks or non-ASCII characters" in step_messages(result)["openai_key"]
    )
    assert lab.openai.seen == []
    assert playbook.stored(home) == {}
    assert_no_secret(result.out + result.err, mangled)
