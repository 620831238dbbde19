"""The leak check: no command but a successful `get` (or `exec`) ever shows a stored value.

Two canaries go in, one piped to `secrets set` and one migrated from .env.
Then every other command runs (successful and failing ones, with and without
GLASSDOME_DEBUG, the invoke tasks and the migration script), and neither
canary may show up in any output, in any common encoding, nor in any file
except the .env it came from and the .env.bak that --scrub keeps.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.cli.runner import Cli, Result
from tests.leaks import forms

# Characters that change under JSON-escaping ("\ and non-ASCII), URL-encoding and base64.
CANARY = 'canary-7f3c9e-Sup3r$ecret/+="q"\\é'
ENV_CANARY = 'envcanary-4b1d08-Pa55$word/+="z"\\ü'
NEW_PASSWORD = "the new master passphrase"
DEBUG = {"GLASSDOME_DEBUG": "1"}
AFTER_PASSWD = {"GLASSDOME_MASTER_PASSWORD": NEW_PASSWORD}


FORMS = {
    f"{label} {kind}": text
    for label, secret in (("canary", CANARY), ("env-canary", ENV_CANARY))
    for kind, text in forms(secret).items()
}


def single_quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


ENV_TEXT = (
    "# lab\n"
    "PROXMOX_HOST=pve.lab\n"
    f"OPENAI_API_KEY={single_quoted(ENV_CANARY)}\n"
    # proxmox_password is stored as CANARY first: this line stays a conflict.
    f"PROXMOX_PASSWORD={single_quoted(ENV_CANARY)}\n"
)


@dataclass(frozen=True)
class Step:
    """One command to run and the exit code it must end with."""

    label: str
    args: tuple[str, ...]
    code: int
    tool: str = "glassdome"  # or "invoke", "script"
    input: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def failing(label: str, args: tuple[str, ...], code: int, **env: str) -> list[Step]:
    """A failing command, plain and with GLASSDOME_DEBUG=1 (the traceback must not leak)."""
    return [
        Step(label, args, code, env=env),
        Step(f"{label} (debug)", args, code, env={**env, **DEBUG}),
    ]


SETUP = [
    Step(
        "set the canary from stdin", ("secrets", "set", "proxmox_password"), 0, input=CANARY + "\n"
    ),
    Step("migrate the env canary", ("secrets", "migrate"), 1),
]

STEPS = [
    Step("set another from stdin", ("secrets", "set", "other_secret"), 0, input="not-a-canary\n"),
    Step("set --value", ("secrets", "set", "flagged", "--value", CANARY), 0),
    Step("list", ("secrets", "list"), 0),
    Step("list --json", ("secrets", "list", "--json"), 0),
    Step("delete --yes", ("secrets", "delete", "other_secret", "--yes"), 0),
    Step("migrate again", ("secrets", "migrate"), 1),
    Step("migrate --dry-run", ("secrets", "migrate", "--dry-run"), 1),
    Step("migrate --dry-run --overwrite", ("secrets", "migrate", "--dry-run", "--overwrite"), 0),
    Step("doctor before scrub", ("secrets", "doctor"), 1),
    Step("doctor --json before scrub", ("secrets", "doctor", "--json"), 1),
    *failing(
        "get with a wrong password",
        ("secrets", "get", "proxmox_password"),
        1,
        GLASSDOME_MASTER_PASSWORD="not the password",
    ),
    *failing("get of a missing name", ("secrets", "get", "missing"), 1),
    *failing("get with the canary as the name", ("secrets", "get", CANARY), 1),
    *failing(
        "get from a corrupt store",
        ("secrets", "get", "proxmox_password"),
        1,
        GLASSDOME_HOME="@corrupt",
    ),
    *failing("list from a corrupt store", ("secrets", "list"), 1, GLASSDOME_HOME="@corrupt"),
    *failing("delete without --yes", ("secrets", "delete", "proxmox_password"), 2),
    *failing("migrate a missing env file", ("secrets", "migrate", "--env-file", "missing.env"), 1),
    *failing(
        "passwd with a wrong old password",
        ("secrets", "passwd", "--new-password-file", "new-password"),
        1,
        GLASSDOME_MASTER_PASSWORD="not the password",
    ),
    Step("set with an invalid name", ("secrets", "set", "Bad Name"), 1, input=CANARY + "\n"),
    Step(
        "set with an invalid name (debug)",
        ("secrets", "set", "Bad Name"),
        1,
        input=CANARY + "\n",
        env=DEBUG,
    ),
    Step("migration script", (), 1, tool="script"),
    Step("invoke secrets.list --json", ("secrets.list", "--json"), 0, tool="invoke"),
    Step(
        "invoke secrets.set", ("secrets.set", "invoked"), 0, tool="invoke", input="not-a-canary\n"
    ),
    Step("invoke secrets.delete", ("secrets.delete", "invoked", "--yes"), 0, tool="invoke"),
    Step("invoke secrets.migrate", ("secrets.migrate", "--env-file", ".env"), 1, tool="invoke"),
    Step("invoke secrets.doctor --json", ("secrets.doctor", "--json"), 1, tool="invoke"),
    Step("invoke secrets.get of a missing name", ("secrets.get", "missing"), 1, tool="invoke"),
    Step(
        "passwd --new-password-file",
        ("secrets", "passwd", "--new-password-file", "new-password"),
        0,
    ),
    *failing("get with the old password after passwd", ("secrets", "get", "proxmox_password"), 1),
    Step("migrate --scrub", ("secrets", "migrate", "--scrub"), 1, env=AFTER_PASSWD),
    Step("doctor after scrub", ("secrets", "doctor"), 1, env=AFTER_PASSWD),
    Step("doctor --json after scrub", ("secrets", "doctor", "--json"), 1, env=AFTER_PASSWD),
    Step("list after passwd", ("secrets", "list", "--json"), 0, env=AFTER_PASSWD),
]


@dataclass
class Run:
    base: Path
    results: dict[str, Result]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Run every step once, in order, against one store."""
    base = tmp_path_factory.mktemp("leaks")
    work = base / "work"
    work.mkdir()
    (work / ".env").write_text(ENV_TEXT, encoding="utf-8")
    (work / "new-password").write_text(NEW_PASSWORD + "\n")
    cli = Cli(home=base / "home", cwd=work)
    results: dict[str, Result] = {}

    def execute(step: Step) -> None:
        env = dict(step.env)
        if env.get("GLASSDOME_HOME") == "@corrupt":
            env["GLASSDOME_HOME"] = str(base / "corrupt")
        if step.tool == "invoke":
            results[step.label] = cli.invoke(*step.args, input=step.input, **env)
        elif step.tool == "script":
            results[step.label] = cli.script(*step.args, **env)
        else:
            results[step.label] = cli(*step.args, input=step.input, **env)

    for step in SETUP:
        execute(step)
    shutil.copytree(base / "home", base / "corrupt")
    store = base / "corrupt" / "secrets.encrypted"
    header, token = store.read_bytes().split(b"\n", 1)
    store.write_bytes(header + b"\n" + token[:20] + token[21:])
    for step in STEPS:
        execute(step)
    return Run(base, results)


def test_the_canaries_change_under_every_encoding():
    for label, secret in (("canary", CANARY), ("env-canary", ENV_CANARY)):
        encoded = forms(secret)
        changed = {kind: text for kind, text in encoded.items() if text != secret}
        assert set(changed) == set(encoded) - {"plain"}, label
        assert all(len(text) >= 20 for text in encoded.values()), label
    assert dotenv_values(stream=io.StringIO(ENV_TEXT))["OPENAI_API_KEY"] == ENV_CANARY


def test_the_canaries_are_stored(run: Run):
    """The check below is only worth something if the canaries really are in the store."""
    cli = Cli(home=run.base / "home", cwd=run.base / "work")
    assert cli.get("proxmox_password", **AFTER_PASSWD) == CANARY
    assert cli.get("flagged", **AFTER_PASSWD) == CANARY
    assert cli.get("openai_api_key", **AFTER_PASSWD) == ENV_CANARY


@pytest.mark.parametrize("step", SETUP + STEPS, ids=lambda step: step.label)
def test_no_output_shows_a_canary_in_any_form(run: Run, step: Step):
    result = run.results[step.label]
    assert result.code == step.code, str(result)
    if "(debug)" in step.label:
        assert "Traceback" in result.err, str(result)
    for name, text in FORMS.items():
        assert text not in result.out, f"{name} on stdout of {step.label}"
        assert text not in result.err, f"{name} on stderr of {step.label}"


def test_no_file_but_env_and_its_backup_holds_a_canary(run: Run):
    work = run.base / "work"
    allowed = {work / ".env", work / ".env.bak"}
    assert all(path.is_file() for path in allowed), "--scrub wrote .env.bak"
    assert b"envcanary" in (work / ".env.bak").read_bytes()
    checked = []
    for path in sorted(run.base.rglob("*")):
        if path in allowed or not path.is_file():
            continue
        content = path.read_bytes()
        checked.append(path.relative_to(run.base).as_posix())
        for name, text in FORMS.items():
            assert text.encode("utf-8") not in content, f"{name} in {path}"
    assert "home/secrets.encrypted" in checked
    assert "home/secrets.encrypted.bak" in checked
    assert "corrupt/secrets.encrypted" in checked
