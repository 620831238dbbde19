"""The ai wizard's lab: HTTPS servers that answer as OpenAI, Anthropic and Mailcow, the
keys they accept, and how a test runs the wizard and reads what it did.

The servers (tests/setup/peers/ai_servers.py) run on 127.0.0.1 with a CA made for
the run and record what they were sent; a run starts from a work folder whose
``.env`` is `ENV_BEFORE`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.cli.runner import Result
from tests.setup.peers.ai_servers import (
    AnthropicServer,
    Certificates,
    MailcowServer,
    OpenAiServer,
    Seen,
)
from tests.setup.support import WizardCli, assert_no_leak

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


def mailcow_key() -> str:
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


def play(cli: WizardCli, answers: dict[str, Any], *args: str, **env: str) -> Result:
    return cli.play("--answers", str(cli.write_answers(answers)), *args, **env)


def without(text: str, keys: tuple[str, ...]) -> str:
    """*text* without the lines binding *keys* (what a run may change)."""
    pattern = re.compile(rf"^(?:export\s+)?(?:{'|'.join(keys)})\s*=")
    return "".join(line for line in text.splitlines(keepends=True) if not pattern.match(line))


def env_text(work: Path) -> str:
    return (work / ".env").read_bytes().decode("utf-8")


def assert_no_secret(output: str, *values: str) -> None:
    for value in values:
        assert_no_leak(value, [output])


def sent_headers(seen: list[Seen], name: str) -> list[str]:
    return [request.headers.get(name, "") for request in seen]
