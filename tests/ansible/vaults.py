"""Vault files made by the real ``ansible-vault`` (``encrypt`` and ``encrypt_string``)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.ansible.conftest import ansible_settings, ansible_tool

DEFAULT_PASSWORD = "vault-pw-default-7Hq"
DEV_PASSWORD = "vault-pw-dev-3Lw"
# The values inside the vaults; none may show up in anything glassdome prints.
WHOLE = {
    "proxmox_token_value": "whole-canary-token-Vb51",
    "ESXI_PASSWORD": "whole-canary-esxi-Pp09",
}
NESTED = "nested-canary-Zr44"
INLINE_DEFAULT = "inline-canary-aws-Kd18"
INLINE_DEV = "inline-canary-mail-Wq63"
PLAIN = "plain-canary-note-Ys70"
CANARIES = (*WHOLE.values(), NESTED, INLINE_DEFAULT, INLINE_DEV, PLAIN)


@dataclass(frozen=True)
class Vaults:
    """The files: whole-file vaults, an inline one, a plain one, and password files."""

    folder: Path

    def __truediv__(self, name: str) -> str:
        return str(self.folder / name)


def _vault(folder: Path, *args: str, stdin: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLASSDOME_", "ANSIBLE_"))}
    env.update(ansible_settings(folder))
    completed = subprocess.run(
        [ansible_tool("ansible-vault"), *args],
        cwd=folder,
        env=env,
        input=(stdin or "").encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=True,
    )
    return completed.stdout.decode("utf-8")


def make_vaults(folder: Path) -> Vaults:
    """Write every vault file of `Vaults` into *folder* with ansible-vault."""
    (folder / "default-password").write_text(DEFAULT_PASSWORD + "\n", encoding="utf-8")
    (folder / "dev-password").write_text(DEV_PASSWORD + "\n", encoding="utf-8")
    (folder / "wrong-password").write_text("not-the-vault-password\n", encoding="utf-8")
    plain = "".join(f"{key}: {value}\n" for key, value in WHOLE.items())
    plain += f"nested:\n  inner: {NESTED}\nport: 8006\nempty: ''\n"
    for name, vault_id in (("whole.yml", "default"), ("dev-whole.yml", "dev")):
        (folder / name).write_text(plain, encoding="utf-8")
        password = "default-password" if vault_id == "default" else "dev-password"
        _vault(folder, "encrypt", "--vault-id", f"{vault_id}@{password}", name)
    inline = _vault(
        folder,
        "encrypt_string",
        "--vault-password-file",
        "default-password",
        "--stdin-name",
        "aws_secret_access_key",
        stdin=INLINE_DEFAULT,
    )
    inline += _vault(
        folder,
        "encrypt_string",
        "--vault-id",
        "dev@dev-password",
        "--encrypt-vault-id",
        "dev",
        "--stdin-name",
        "mail_api",
        stdin=INLINE_DEV,
    )
    inline += f"plain_note: {PLAIN}\n"
    (folder / "inline.yml").write_text(inline, encoding="utf-8")
    (folder / "plain.yml").write_text(f"plain_note: {PLAIN}\n", encoding="utf-8")
    return Vaults(folder)
