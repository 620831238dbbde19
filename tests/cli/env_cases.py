""".env files for the migrate tests, as data, and what a migration must make of them.

Each case is a list of chunks, flagged when the chunk is a secret binding that
``--scrub`` must replace. What gets stored is compared with what python-dotenv
itself reads from the same file (`expected_secrets`).
"""

from __future__ import annotations

import re
from pathlib import Path

from dotenv import dotenv_values

from tests.cli.runner import SECRET_VARIABLE

Chunk = tuple[str, bool]  # text, and whether --scrub removes it (a secret binding)

CASES: dict[str, list[Chunk]] = {
    "plain": [
        ("PROXMOX_HOST=pve.lab\n", False),
        ("PROXMOX_PASSWORD=plain-Value_1\n", True),
    ],
    "single-quotes": [
        ("ESXI_PASSWORD='single $HOME \\n \"dq\" # not a comment \\' \\\\'\n", True),
    ],
    "double-quotes-with-escapes": [
        ('AZURE_CLIENT_SECRET="tab\\there\\nnew \\"quoted\\" back\\\\slash"\n', True),
        ("AZURE_TENANT_ID=tenant\n", False),
    ],
    "export": [
        ("export AWS_SECRET_ACCESS_KEY=exported/Key+1=\n", True),
        ("export AWS_REGION=eu-west-1\n", False),
    ],
    "multi-line-double-quoted": [
        ('OPENAI_API_KEY="-----BEGIN-----\nline two\n-----END-----"\n', True),
        ("AFTER=kept\n", False),
    ],
    "inline-comments": [
        ('ANTHROPIC_API_KEY="quoted value" # a comment\n', True),
        ("MAIL_API=unquoted-value # another comment\n", True),
        ("SECRET_KEY=hash#inside\n", True),
        ("MAIL_HOST=mail.lab # comment kept\n", False),
    ],
    "spaces-around-equals": [
        ("PROXMOX_PASSWORD = spaced value  \n", True),
        ("  ESXI_PASSWORD   =   'quoted spaced'  \n", True),
        ("ESXI_HOST = esxi.lab\n", False),
    ],
    "empty-value-and-key-without-equals": [
        ("PROXMOX_PASSWORD=\n", False),
        ("MAIL_API=''\n", False),
        ("SECRET_KEY\n", False),
        ("ESXI_PASSWORD=the-only-value\n", True),
    ],
    "comments-and-blank-lines": [
        ("# leading comment\n", False),
        ("\n", False),
        ("   \n", False),
        ("# PROXMOX_PASSWORD=commented-out\n", False),
        ("PROXMOX_PASSWORD=real-one\n", True),
        ("\n\n", False),
        ("#trailing comment\n", False),
    ],
    "crlf": [
        ("# windows\r\n", False),
        ("PROXMOX_HOST=pve.lab\r\n", False),
        ("PROXMOX_PASSWORD=crlf-value\r\n", True),
        ("\r\n", False),
        ('OPENAI_API_KEY="multi\r\nline"\r\n', True),
        ("AFTER=kept\r\n", False),
    ],
    "no-trailing-newline": [
        ("PROXMOX_HOST=pve.lab\n", False),
        ("PROXMOX_PASSWORD=last-line", True),
    ],
    "duplicate-keys-last-wins": [
        ("PROXMOX_PASSWORD=first-value\n", True),
        ("PROXMOX_HOST=between\n", False),
        ("PROXMOX_PASSWORD=second-value\n", True),
    ],
    "proxmox-instances-and-lookalikes": [
        ("PROXMOX_TOKEN_VALUE=default-token\n", True),
        ("PROXMOX_TOKEN_VALUE_02=token-two\n", True),
        ("PROXMOX_TOKEN_VALUE_2=one-digit-is-no-instance\n", False),
        ("PROXMOX_02_TOKEN_NAME=automation\n", False),
        ("MY_SECRET_KEY=not-a-known-secret\n", False),
        ("PROXMOX_PASSWORD_HINT=not-a-known-secret\n", False),
    ],
    "interpolation": [
        ("PROXMOX_HOST=pve.lab\n", False),
        ('SECRET_KEY="${PROXMOX_HOST}-suffix"\n', True),
    ],
    "utf-8": [("ESXI_PASSWORD=pässwörd-€-密码\n", True)],
}

# Every known secret at once, with the other kinds of line around them.
FULL: list[Chunk] = [
    ("# lab credentials\n", False),
    ("PROXMOX_HOST=pve.lab\n", False),
    ("PROXMOX_PASSWORD=pve-password\n", True),
    ("PROXMOX_TOKEN_VALUE='pve-token'\n", True),
    ('PROXMOX_TOKEN_VALUE_02="pve-token-02"\n', True),
    ("\n", False),
    ("ESXI_PASSWORD=esxi-password\n", True),
    ("export AZURE_CLIENT_SECRET=azure-secret\n", True),
    ("AWS_SECRET_ACCESS_KEY=aws/secret+key=\n", True),
    ("OPENAI_API_KEY=sk-openai\n", True),
    ("ANTHROPIC_API_KEY=sk-ant # inline\n", True),
    ("MAIL_API=mail-api-key\n", True),
    ("SECRET_KEY=django-secret\n", True),
    ("MAIL_HOST=mail.lab", False),
]


def text_of(chunks: list[Chunk]) -> bytes:
    return "".join(text for text, _ in chunks).encode("utf-8")


def scrubbed_pattern(chunks: list[Chunk]) -> re.Pattern[bytes]:
    """Every chunk kept byte for byte, each secret binding replaced by one comment line."""
    parts = []
    for text, secret in chunks:
        if secret:
            ending = "\r\n" if text.endswith("\r\n") else "\n" if text.endswith("\n") else ""
            parts.append(rb"[ \t]*#[^\r\n]*" + re.escape(ending.encode()))
        else:
            parts.append(re.escape(text.encode("utf-8")))
    return re.compile(b"".join(parts))


def expected_secrets(env_file: Path) -> dict[str, str]:
    """The known secrets python-dotenv reads from *env_file*, as `secrets exec` names them."""
    return {
        key.upper(): value
        for key, value in dotenv_values(env_file).items()
        if SECRET_VARIABLE.fullmatch(key.upper()) and value
    }
