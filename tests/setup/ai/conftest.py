"""Fixtures for the ai wizard's tests: the lab of servers, the work folder and the CLI."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.setup.ai.lab import ENV_BEFORE, Lab, mailcow_key
from tests.setup.peers.ai_servers import AnthropicServer, Certificates, MailcowServer, OpenAiServer
from tests.setup.support import WizardCli, work_folder


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    certs = Certificates(tmp_path)
    openai_key = "sk-proj-" + secrets.token_urlsafe(40)
    anthropic_key = "sk-ant-api03-" + secrets.token_urlsafe(60)
    mail_key, denied = mailcow_key(), mailcow_key()
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
