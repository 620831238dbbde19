"""Running the Proxmox VE wizard against the test PVE server, and checking what it did.

Every run is a real ``glassdome play playbooks/setup/proxmox.yml`` process (or
``invoke setup.proxmox``) with a file store in a temporary home, from a work folder
whose ``.env`` starts as `ENV_BEFORE`; the server (tests/setup/peers/pve_server.py)
keeps users, tokens and ACLs in memory and records every request, so the tests check
the platform's side as well as the store and the ``.env`` file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tests.cli.runner import Result
from tests.playbook.support import SETTINGS_VARIABLES, events
from tests.setup.peers.pve_server import PveServer
from tests.setup.support import WizardCli, assert_no_leak

PASSWORD = 'Pve-pa55/w0rd+="q"\\x&y'
ENV_BEFORE = (
    "# lab settings, kept as they are\n"
    "export OTHER_SETTING='keep me'  # a comment\n"
    "\n"
    "PROXMOX_HOST=old.example\n"
    "MAIL_HOST=mail.lab\n"
)
# What the wizard grants root@pam!glassdome by default (privilege separation on).
ROOT_ACL = {
    "path": "/",
    "roleid": "PVEVMAdmin",
    "type": "token",
    "ugid": "root@pam!glassdome",
    "propagate": 1,
}
DEFAULT_KEYS = ("HOST", "PORT", "USER", "TOKEN_NAME", "NODE", "VERIFY_SSL", "TLS_FINGERPRINT")


def wizard(cli: WizardCli, answers: Mapping[str, Any], *args: str, **env: str) -> Result:
    """Run the wizard without a terminal from an answers file (plus *env* variables)."""
    path = cli.write_answers(answers)
    argv = ["--answers", str(path), "--no-input", "--json", *args]
    return cli.play(*argv, unset=SETTINGS_VARIABLES, **env)


def base_answers(pve: PveServer, **more: Any) -> dict[str, Any]:
    """Host, port and the pinned fingerprint given in advance (non-interactive TLS)."""
    return {"host": "127.0.0.1", "port": pve.port, "fingerprint": pve.fingerprint, **more}


def with_password(**env: str) -> dict[str, str]:
    return {"GLASSDOME_INPUT_PASSWORD": PASSWORD, **env}


def failure(result: Result) -> str:
    """The one failed step's message; asserts exit 1, one line, no traceback."""
    assert result.code == 1, str(result)
    failed = [e for e in events(result) if e["event"] == "step" and e["status"] == "failed"]
    assert len(failed) == 1, str(result)
    message = str(failed[0]["message"])
    assert "\n" not in message, str(result)
    assert "Traceback" not in result.err, str(result)
    return message


def env_text(cli: WizardCli) -> str:
    return (cli.cwd / ".env").read_text(encoding="utf-8")


def env_values(cli: WizardCli) -> dict[str, str | None]:
    from dotenv import dotenv_values

    return dict(dotenv_values(cli.cwd / ".env"))


def outside(text: str, keys: list[str]) -> list[str]:
    """The lines of a .env text that bind none of *keys*."""
    pattern = re.compile(r"\s*(export\s+)?(" + "|".join(keys) + r")\s*=")
    return [line for line in text.splitlines(keepends=True) if not pattern.match(line)]


def assert_kept(cli: WizardCli, prefix: str) -> None:
    """Every line of ENV_BEFORE the wizard had no business with is there, byte for byte."""
    keys = [prefix + key for key in (*DEFAULT_KEYS, "CA_FILE")]
    assert outside(env_text(cli), keys) == outside(ENV_BEFORE, keys)


def assert_no_leaks(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert_no_leak(secret, [text])


def token_value(pve: PveServer, tokenid: str = "glassdome", userid: str = "root@pam") -> str:
    return pve.state.tokens[(userid, tokenid)].value
