"""docs/recipes.md: every recipe's command block runs as written, and the stand-in tool it
starts (``terraform``, ``packer``) receives exactly the secrets the recipe promises.

The stand-ins print SHA-256 digests, never values: a failing comparison shows no secret.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from glassdome.primitives.envfile import set_values
from tests.cli.runner import Cli
from tests.conftest import REPO
from tests.leaks import forms

RECIPES = REPO / "docs" / "recipes.md"
_BLOCK = re.compile(r"<!-- (recipe|file): (\S+) -->\n```\w*\n(.*?)```", re.DOTALL)

SECRETS = {
    "proxmox_token_value": "canary-Recipe-Pve-1a2b",
    "aws_secret_access_key": "canary-Recipe-Aws-3c4d",
    "azure_client_secret": "canary-Recipe-Azure-5e6f",
    "unrelated_secret": "canary-Recipe-Other-7a8b",  # no recipe may hand this one over
}
# What the wizards write to .env: settings, never secrets.
DOTENV = {
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "AWS_REGION": "eu-west-1",
    "AZURE_TENANT_ID": "tenant-id",
    "AZURE_CLIENT_ID": "client-id",
    "AZURE_SUBSCRIPTION_ID": "subscription-id",
}
TOKEN = SECRETS["proxmox_token_value"]
RENDERED_TFVARS = (
    f'pm_api_token_secret = "{TOKEN}"\npm_api_url          = "https://pve.lab:8006/api2/json"\n'
)

# recipe -> (the tool's arguments, the variables it must receive, the file it must find)
EXPECTED: dict[str, tuple[list[str], dict[str, str], tuple[str, str] | None]] = {
    "telmate": (["plan"], {"TF_VAR_pm_api_token_secret": TOKEN}, None),
    "bpg": (["apply"], {"TF_VAR_proxmox_token_value": TOKEN}, None),
    "aws": (
        ["plan"],
        {
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_REGION": "eu-west-1",
            "AWS_SECRET_ACCESS_KEY": SECRETS["aws_secret_access_key"],
        },
        None,
    ),
    "azurerm": (
        ["plan"],
        {
            "ARM_TENANT_ID": "tenant-id",
            "ARM_CLIENT_ID": "client-id",
            "ARM_SUBSCRIPTION_ID": "subscription-id",
            "ARM_CLIENT_SECRET": SECRETS["azure_client_secret"],
        },
        None,
    ),
    "packer": (["build", "."], {"PKR_VAR_proxmox_token_secret": TOKEN}, None),
    "inject": (["plan"], {}, ("terraform.tfvars", RENDERED_TFVARS)),
}

# A stand-in for terraform and packer: its name, arguments, a digest of every environment
# variable, and the digest and mode of terraform.tfvars if present.
STAND_IN = """\
import hashlib, json, os, sys
def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()
files = {}
if os.path.exists("terraform.tfvars"):
    with open("terraform.tfvars") as f:
        files["terraform.tfvars"] = [digest(f.read()), os.stat("terraform.tfvars").st_mode & 0o777]
print(json.dumps({"tool": os.path.basename(sys.argv[0]), "argv": sys.argv[1:],
                  "env": {k: digest(v) for k, v in os.environ.items()}, "files": files}))
"""


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def blocks() -> dict[tuple[str, str], str]:
    return {(kind, name): body for kind, name, body in _BLOCK.findall(RECIPES.read_text())}


def test_every_recipe_in_the_docs_is_tested():
    recipes = {name for kind, name in blocks() if kind == "recipe"}
    assert recipes == set(EXPECTED)


@pytest.fixture
def lab(cli: Cli, work: Path, tmp_path: Path) -> tuple[Cli, Path]:
    """The store with every secret, the wizards' .env, the recipes' files and the stand-ins."""
    for name, value in SECRETS.items():
        cli.set(name, value)
    set_values(work / ".env", DOTENV)
    for (kind, name), body in blocks().items():
        if kind == "file":
            (work / name).write_text(body)
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("terraform", "packer"):
        program = tools / tool
        program.write_text(f"#!{sys.executable}\n{STAND_IN}")
        program.chmod(0o755)
    return cli, tools


@pytest.mark.parametrize("recipe", sorted(EXPECTED))
def test_a_recipe_hands_the_tool_exactly_its_secrets(lab: tuple[Cli, Path], recipe: str):
    cli, tools = lab
    script = blocks()[("recipe", recipe)]
    env = cli.env()
    env["PATH"] = f"{tools}:{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    for variable in DOTENV:
        env.pop(variable, None)
    completed = subprocess.run(
        ["/bin/sh", "-e", "-c", script],
        cwd=cli.cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = completed.stdout + completed.stderr
    for value in SECRETS.values():
        for form in forms(value).values():
            assert form not in output, f"a secret in the output of the {recipe} recipe"
    assert completed.returncode == 0, output
    reports = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == 1, output
    report = reports[0]
    argv, variables, expected_file = EXPECTED[recipe]
    assert report["argv"] == argv
    for variable, value in variables.items():
        assert report["env"].get(variable) == digest(value), variable
    stored = {digest(value): name for name, value in SECRETS.items()}
    handed = {stored[d] for v, d in report["env"].items() if d in stored and v not in variables}
    assert handed == set(), f"{recipe} handed over more than it promised"
    if expected_file is not None:
        name, content = expected_file
        assert report["files"][name] == [digest(content), 0o600]
        assert not (cli.cwd / name).exists()  # the recipe removes it after the run
