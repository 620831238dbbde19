"""A lab for `glassdome verify`: the wizards' real peers on 127.0.0.1 and a store they filled.

`VerifyCli` runs glassdome with moto as its only way to AWS and no Azure or CA
variable of the test run; `fill` runs the Proxmox, AWS, Azure and ai wizards
against the peers (each storing its credential with its record and writing its
settings to the one ``.env``), so verify then reads everything as a user's
store and ``.env`` would hold it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.cli.runner import Result
from tests.playbook.support import SETTINGS_VARIABLES
from tests.setup.peers.ai_servers import AnthropicServer, Certificates, MailcowServer, OpenAiServer
from tests.setup.peers.azure_server import AzurePeer
from tests.setup.peers.pve_server import PveServer
from tests.setup.support import SETUP_PLAYBOOKS, WizardCli
from tests.setup.test_aws import Moto, _no_aws

_STEERING = ("AZURE_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_")
PVE_PASSWORD = "Pve-lab-pa55word/+="


@dataclass
class VerifyCli(WizardCli):
    """glassdome whose only way to AWS is *endpoint*; no Azure or CA variable leaks in."""

    endpoint: str = ""

    def env(self, unset: Iterable[str] = (), **extra: str) -> dict[str, str]:
        env = _no_aws(super().env((*SETTINGS_VARIABLES, *unset), **extra), self.home.parent)
        env["AWS_ENDPOINT_URL"] = self.endpoint
        return {k: v for k, v in env.items() if not k.startswith(_STEERING)}

    def run_wizard(self, name: str, answers: dict[str, Any], **env: str) -> Result:
        """Run setup wizard *name* from *answers* (secrets in *env*); assert it worked."""
        path = self.write_answers(answers, f"{name}-answers.yml")
        playbook = str(SETUP_PLAYBOOKS / f"{name}.yml")
        result = self._keep(self("play", playbook, "--answers", str(path), "--no-input", **env))
        assert result.code == 0, str(result)
        return result

    def verify(self, *args: str, **env: str) -> Result:
        """``glassdome verify ARGS``; its output is kept for the leak checks."""
        return self._keep(self("verify", *args, **env))

    def lines(self, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
        """The exit code of ``verify --json ARGS`` and its lines, by name (one line each)."""
        result = self.verify("--json", *args)
        found = [json.loads(line) for line in result.out.splitlines()]
        by_name = {line["name"]: line for line in found}
        assert len(by_name) == len(found), str(result)
        return result.code, by_name

    def record(self, name: str) -> dict[str, Any]:
        """The metadata record of *name* (``secrets show --json``)."""
        result = self._keep(self("secrets", "show", name, "--json"))
        assert result.code == 0, str(result)
        meta: dict[str, Any] = json.loads(result.out)["meta"]
        return meta


@dataclass
class Peers:
    """The platforms' test servers and the credentials they accept."""

    pve: PveServer
    azure: AzurePeer
    azure_ca: Path
    certs: Certificates
    openai: OpenAiServer
    anthropic: AnthropicServer
    mailcow: MailcowServer
    openai_key: str
    anthropic_key: str
    mail_key: str
    moto: Moto

    def values(self) -> list[str]:
        """Every secret the lab knows (none may ever show)."""
        return [
            PVE_PASSWORD,
            *(token.value for token in self.pve.state.tokens.values()),
            self.azure.client_secret,
            self.openai_key,
            self.anthropic_key,
            self.mail_key,
            self.moto.secret,
        ]


def azure_peer() -> AzurePeer:
    """A tenant, application and subscription (not started)."""
    return AzurePeer(
        tenant_id=str(uuid.uuid4()),
        client_id=str(uuid.uuid4()),
        client_secret="azure~" + uuid.uuid4().hex,
        subscription_id=str(uuid.uuid4()),
    )


def fill(cli: VerifyCli, peers: Peers) -> None:
    """Run the Proxmox, AWS, Azure and ai wizards against *peers*: one store, one ``.env``."""
    pve = {"host": "127.0.0.1", "port": peers.pve.port, "fingerprint": peers.pve.fingerprint}
    cli.run_wizard("proxmox", pve, GLASSDOME_INPUT_PASSWORD=PVE_PASSWORD)
    cli.run_wizard(
        "aws",
        {"access_key_id": peers.moto.key_id, "region": "eu-central-1"},
        GLASSDOME_INPUT_SECRET_ACCESS_KEY=peers.moto.secret,
    )
    azure = {
        "tenant_id": peers.azure.tenant_id,
        "client_id": peers.azure.client_id,
        "subscription_id": peers.azure.subscription_id,
        "authority_host": peers.azure.authority,
        "arm_endpoint": peers.azure.arm_endpoint,
        "tls": "ca",
        "ca_file": str(peers.azure_ca),
    }
    cli.run_wizard("azure", azure, GLASSDOME_INPUT_CLIENT_SECRET=peers.azure.client_secret)
    ai = {
        "setup_openai": True,
        "openai_base_url": f"{peers.openai.base}/v1",
        "openai_ca_file": str(peers.certs.ca_file),
        "setup_anthropic": True,
        "anthropic_base_url": peers.anthropic.base,
        "anthropic_ca_file": str(peers.certs.ca_file),
        "setup_mail": True,
        "mail_host": "127.0.0.1",
        "mail_port": peers.mailcow.port,
        "mail_tls": "fingerprint",
        "mail_fingerprint": peers.certs.fingerprint,
    }
    cli.run_wizard(
        "ai",
        ai,
        GLASSDOME_INPUT_OPENAI_API_KEY=peers.openai_key,
        GLASSDOME_INPUT_ANTHROPIC_API_KEY=peers.anthropic_key,
        GLASSDOME_INPUT_MAIL_API=peers.mail_key,
    )
