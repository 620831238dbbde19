"""The ai wizard end to end, against HTTPS servers that answer as OpenAI, Anthropic and
Mailcow: from an answers file, on a terminal, partly, and with --check, --no-verify or
tls: insecure.

Every run is a real `glassdome play` (or `invoke setup.ai`) process with a file
store in a temporary home (see `tests.setup.ai.lab`).
"""

from __future__ import annotations

from pathlib import Path

from glassdome.primitives.envfile import read_values
from glassdome.steps.net import format_fingerprint
from tests.cli.runner import finish
from tests.playbook import support as playbook
from tests.playbook.support import step_messages
from tests.setup.ai.lab import (
    AI_KEYS,
    ENV_BEFORE,
    MAIL_KEYS,
    Lab,
    assert_no_secret,
    env_text,
    play,
    sent_headers,
    without,
)
from tests.setup.peers.ai_servers import ANTHROPIC_MODELS, OPENAI_MODELS
from tests.setup.support import WizardCli, statuses


def test_answers_file_run_verifies_stores_keeps_env_and_a_second_run_changes_nothing(
    lab: Lab, cli: WizardCli, home: Path, work: Path
) -> None:
    """Non-interactive (answers file + GLASSDOME_INPUT_*), then again via invoke: all ok."""
    answers = lab.answers(anthropic_api_key=lab.anthropic_key, mail_api=lab.mail_key)
    env = {"GLASSDOME_INPUT_OPENAI_API_KEY": lab.openai_key}
    first = play(cli, answers, "--no-input", "--json", **env)
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

    after = env_text(work)
    assert without(after, AI_KEYS + MAIL_KEYS) == without(ENV_BEFORE, AI_KEYS + MAIL_KEYS)
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
    assert sent_headers(lab.openai.seen, "authorization") == [f"Bearer {lab.openai_key}"]
    assert [s.path for s in lab.anthropic.seen] == ["/v1/models"]
    assert sent_headers(lab.anthropic.seen, "x-api-key") == [lab.anthropic_key]
    assert sent_headers(lab.anthropic.seen, "anthropic-version") == ["2023-06-01"]
    assert [s.path for s in lab.mailcow.seen] == ["/api/v1/get/status/containers"]
    assert sent_headers(lab.mailcow.seen, "x-api-key") == [lab.mail_key]
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
    assert env_text(work) == after
    assert len(lab.openai.seen) == 2  # a stored key is still verified on every run
    assert_no_secret(
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
    assert_no_secret(transcript, *lab.all_keys, stored["secret_key"])


def test_a_partial_answers_file_sets_up_only_what_it_names(
    lab: Lab, cli: WizardCli, home: Path, work: Path
) -> None:
    """Only Anthropic answered: the rest is skipped, asks nothing, and touches nothing."""
    answers = {"setup_anthropic": True, "anthropic_base_url": lab.anthropic.base}
    answers["anthropic_ca_file"] = str(lab.certs.ca_file)
    result = play(
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
    assert without(env_text(work), ("ANTHROPIC_BASE_URL", "ANTHROPIC_CA_FILE")) == ENV_BEFORE


def test_insecure_tls_warns_and_records_it(
    lab: Lab, cli: WizardCli, home: Path, work: Path
) -> None:
    """tls: insecure is an explicit choice: it works, warns, and .env says MAIL_VERIFY_SSL=false."""
    answers = lab.answers(setup_openai=False, setup_anthropic=False, mail_tls="insecure")
    answers.pop("mail_ca_file")
    result = play(cli, answers, "--no-input", GLASSDOME_INPUT_MAIL_API=lab.mail_key)
    assert result.code == 0, str(result)
    assert "TLS certificate checks are OFF" in result.err
    assert playbook.stored(home)["mail_api"] == lab.mail_key
    assert read_values(work / ".env")["MAIL_VERIFY_SSL"] == "false"


def test_no_verify_stores_without_contacting_the_platform(
    lab: Lab, cli: WizardCli, home: Path
) -> None:
    """--no-verify: the engine warns, the key is stored, the server sees no request."""
    answers = lab.answers(setup_anthropic=False, setup_mail=False)
    result = play(
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
    result = play(
        cli, answers, "--no-input", "--check", GLASSDOME_INPUT_OPENAI_API_KEY=lab.openai_key
    )
    assert result.code == 0, str(result)
    assert "would change" in result.out
    assert playbook.stored(home) == {}
    assert env_text(work) == ENV_BEFORE
    assert len(lab.openai.seen) == len(lab.anthropic.seen) == len(lab.mailcow.seen) == 1
