"""The invoke secrets.* tasks end to end: a docstring and help for every option, and
list, migrate and get doing what the CLI does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.env_cases import FULL, expected_secrets, text_of
from tests.cli.runner import Cli, one_error_line

TASK_OPTIONS = {
    "set": {"--name", "--value", "--from-file"},
    "get": {"--name"},
    "list": {"--json", "--long"},
    "delete": {"--name", "--yes"},
    "migrate": {"--env-file", "--dry-run", "--scrub", "--overwrite", "--confirm", "--json"},
    "doctor": {"--env-file", "--json"},
}


@pytest.mark.parametrize("task", list(TASK_OPTIONS))
def test_invoke_task_has_a_docstring_and_help_for_every_option(cli: Cli, task: str):
    result = cli.invoke("--help", f"secrets.{task}")
    assert result.code == 0, str(result)
    docstring = result.out.split("Docstring:\n", 1)[1].split("\n\n", 1)[0].strip()
    assert docstring
    assert docstring != "none"
    options = result.out.split("Options:\n", 1)[1]
    seen = set()
    for line in options.splitlines():
        if not line.lstrip().startswith("-"):
            continue
        spec, _, help_text = line.strip().partition("  ")
        assert help_text.strip(), f"no help for {spec!r}"
        seen.update(re.findall(r"--[a-z-]+", spec))
    assert seen == TASK_OPTIONS[task]


def test_invoke_list_json(cli: Cli):
    cli.set("listed", "value")
    result = cli.invoke("secrets.list", "--json")
    assert result.code == 0, str(result)
    assert json.loads(result.out) == {"backend": "file", "secrets": ["listed"]}


def test_invoke_migrate_with_env_file(cli: Cli, work: Path):
    env_file = work / "elsewhere.env"
    env_file.write_bytes(text_of(FULL))
    result = cli.invoke("secrets.migrate", "--env-file", str(env_file))
    assert result.code == 0, str(result)
    assert cli.stored_variables() == expected_secrets(env_file)
    assert env_file.read_bytes() == text_of(FULL)


def test_invoke_get_of_a_missing_secret_exits_1(cli: Cli):
    cli.set("present", "value")
    result = cli.invoke("secrets.get", "missing")
    assert result.code == 1
    assert result.out == ""
    assert "no secret named 'missing'" in one_error_line(result)
