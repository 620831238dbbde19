"""One error boundary: each error's exit code, and the same line from the CLI and its task.

`glassdome ...`, its invoke tasks and its scripts all end at `glassdome.boundary.guarded`
by way of `glassdome.cli.main`; each error class names its exit code. These run the
real processes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from glassdome import errors
from tests.cli.runner import Cli, Result, one_error_line

INVALID = "name: t\nbogus: 1\nsteps: []\n"
NEEDS_INPUT = (
    "name: t\ninputs:\n  - {name: site, type: str}\n"
    "steps:\n  - {id: a, uses: message, with: {text: '{{ inputs.site }}'}}\n"
)


@pytest.fixture
def books(cli: Cli) -> Cli:
    """*cli* with ``invalid.yml`` and ``needs.yml`` (one input, no default) in its folder."""
    (cli.cwd / "invalid.yml").write_text(INVALID, encoding="utf-8")
    (cli.cwd / "needs.yml").write_text(NEEDS_INPUT, encoding="utf-8")
    return cli


def test_each_error_class_names_its_exit_code():
    """Usage errors and invalid playbooks 2, missing inputs 3, every other error 1."""
    special = {"UsageError": 2, "PlaybookInvalid": 2, "InputsMissing": 3}
    classes = {
        name: getattr(errors, name)
        for name in errors.__all__
        if isinstance(getattr(errors, name), type)
    }
    assert set(special) <= set(classes)
    for name, cls in classes.items():
        assert issubclass(cls, errors.GlassdomeError), name
        assert cls.exit_code == special.get(name, 1), name


def test_an_invalid_playbook_exits_2_with_its_position(books: Cli):
    result = books("play", "invalid.yml", "--no-input")
    assert result.code == 2, str(result)
    assert result.out == ""
    line = one_error_line(result)
    assert line.startswith("glassdome: error: invalid.yml:2:1: playbook: unknown key 'bogus'")


def test_missing_inputs_exit_3_listing_each_input(books: Cli):
    result = books("play", "needs.yml", "--no-input")
    assert result.code == 3, str(result)
    assert result.out == ""
    assert "Traceback" not in result.err
    assert result.err_lines[0].startswith("glassdome: error: inputs missing or invalid")
    assert result.err_lines[1:] == ["  site: missing (site)"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("play", "needs.yml", "--set", "site"), "--set takes NAME=VALUE"),
        (("secrets", "set", "x", "--value", "v", "--from-file", "f"), "not allowed with"),
        (("setup", "all", "--no-input"), "say which wizards to run with --include"),
    ],
    ids=["play-set-without-value", "argparse", "setup-all-without-include"],
)
def test_a_usage_error_exits_2(books: Cli, args: tuple[str, ...], says: str):
    result = books(*args)
    assert result.code == 2, str(result)
    assert says in one_error_line(result)


def test_a_store_error_exits_1(cli: Cli):
    """A wrong master password (a `SecretStoreError`) ends with 1."""
    cli.set("kept", "value")
    result = cli("secrets", "get", "kept", GLASSDOME_MASTER_PASSWORD="not the password")
    assert result.code == 1, str(result)
    assert result.out == ""
    assert "wrong master password" in one_error_line(result)


# The same failure through `glassdome` and through its invoke task.
SAME_FAILURE = {
    "missing secret": (("secrets", "get", "missing"), ("secrets.get", "missing"), 1),
    "invalid playbook": (
        ("play", "invalid.yml", "--no-input"),
        ("playbook.run", "-p", "invalid.yml", "--no-input"),
        2,
    ),
    "missing inputs": (
        ("play", "needs.yml", "--no-input"),
        ("playbook.run", "needs.yml", "--no-input"),
        3,
    ),
    "--set without a value": (
        ("play", "needs.yml", "--set", "site"),
        ("playbook.run", "needs.yml", "--set", "site"),
        2,
    ),
    "unknown step id": (
        ("play", "needs.yml", "--start-at", "nope", "--set", "site=x"),
        ("playbook.run", "needs.yml", "--start-at", "nope", "--set", "site=x"),
        2,
    ),
    "unknown wizard": (
        ("setup", "all", "--include", "ai,nosuch"),
        ("setup.all", "--include", "ai,nosuch"),
        2,
    ),
    "invalid playbook to validate": (
        ("playbook", "validate", "invalid.yml"),
        ("playbook.validate", "invalid.yml"),
        2,
    ),
}


@pytest.mark.parametrize(("command", "task", "code"), SAME_FAILURE.values(), ids=SAME_FAILURE)
def test_the_invoke_task_fails_as_the_cli_does(
    books: Cli, command: tuple[str, ...], task: tuple[str, ...], code: int
):
    """Same exit code, same stderr (one line, no traceback), same stdout."""
    direct = books(*command)
    invoked = books.invoke(*task)
    assert direct.code == invoked.code == code, f"{direct}\n{invoked}"
    assert direct.err == invoked.err, f"{direct}\n{invoked}"
    assert direct.out == invoked.out == ""
    assert "Traceback" not in direct.err


def test_the_invoke_task_fails_as_the_cli_does_with_a_wrong_password(cli: Cli):
    cli.set("kept", "value")
    wrong = {"GLASSDOME_MASTER_PASSWORD": "not the password"}
    direct = cli("secrets", "get", "kept", **wrong)
    invoked = cli.invoke("secrets.get", "kept", **wrong)
    assert direct.code == invoked.code == 1
    assert direct.err == invoked.err
    assert "wrong master password" in one_error_line(invoked)


# An OS error that no layer below turns into a message of its own.
OS_ERROR = re.compile(
    r"glassdome: error: \S*\.env\.bak\.[0-9a-f]+\.tmp -> \S*\.env\.bak: Is a directory \(EISDIR\)"
)


def _scrub_onto_a_folder(cli: Cli, run: Result) -> str:
    assert run.code == 1, str(run)
    assert "Traceback" not in run.err, str(run)
    errors_shown = [line for line in run.err_lines if line.startswith("glassdome: error:")]
    assert errors_shown == [run.err_lines[-1]], str(run)
    return run.err_lines[-1]


def test_an_os_error_is_one_line_naming_the_path_from_cli_invoke_and_script(cli: Cli, work: Path):
    """`.env.bak` is a folder: the scrub's atomic write ends in one line, whichever way in."""
    (work / ".env").write_text("PROXMOX_PASSWORD=plain-value-1\n", encoding="utf-8")
    (work / ".env.bak").mkdir()
    runs = {
        "cli": cli("secrets", "migrate", "--scrub"),
        "invoke": cli.invoke("secrets.migrate", "--scrub"),
        "script": cli.script("--scrub"),
    }
    for way, run in runs.items():
        assert OS_ERROR.fullmatch(_scrub_onto_a_folder(cli, run)), f"{way}: {run}"
    assert (work / ".env").read_text(encoding="utf-8") == "PROXMOX_PASSWORD=plain-value-1\n"
    debug = cli("secrets", "migrate", "--scrub", GLASSDOME_DEBUG="1")
    assert debug.code == 1
    assert "Traceback (most recent call last):" in debug.err
    assert "IsADirectoryError" in debug.err


def test_an_unexpected_error_is_one_line_with_a_hint(cli: Cli, work: Path):
    """What no one foresaw still ends in one masked line and exit 1, not a traceback."""
    step = "{id: a, uses: message, with: {text: \"{{ ('{' ~ 'x' ~ '}').format() }}\"}}"
    (work / "deep.yml").write_text(f"name: t\nsteps:\n  - {step}\n", encoding="utf-8")
    quiet = cli("play", "deep.yml", "--no-input", "--json")
    loud = cli("play", "deep.yml", "--no-input", "--json", GLASSDOME_DEBUG="1")
    # Without debug the runner reports it as the step's failure; with debug it stops the run
    # and the boundary shows the traceback.
    assert quiet.code == loud.code == 1, f"{quiet}\n{loud}"
    assert "Traceback" not in quiet.err
    assert "unexpected KeyError: 'x' (GLASSDOME_DEBUG=1 shows where)" in quiet.out
    assert "glassdome: error: unexpected KeyError: 'x'\n" in loud.err
    assert "Traceback (most recent call last):" in loud.err
