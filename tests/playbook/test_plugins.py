"""Plugins: step types and backends from other installed packages' entry points.

A real distribution is installed for the child processes: a ``*.dist-info`` folder
with its ``entry_points.txt`` and the modules it names, in a folder on their
PYTHONPATH, which is where `importlib.metadata` finds installed packages.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.playbook.support import PlaybookCli, step_messages

DIST = "glassdome-test-plugins"
ENTRY_POINTS = """\
[glassdome.steps]
test.echo = gd_test_plugins:Echo
test.broken = gd_test_broken:Step
test.not_a_step = gd_test_plugins:NOT_A_STEP
secret.set = gd_test_plugins:Echo

[glassdome.backends]
broken = gd_test_broken:Backend
"""
GOOD = '''\
"""A working step type: says its text back."""

from glassdome.steps.base import Plan, StepArgs, StepType


class EchoArgs(StepArgs):
    text: str


class Echo(StepType[EchoArgs]):
    Args = EchoArgs

    def check(self, args, ctx):
        return Plan(False, f"echo: {args.text}")


NOT_A_STEP = "a string"
'''
BROKEN = 'raise ImportError("gd_test_missing is not installed")\n'
REPORTS = {
    "test.broken": (
        f"step type plugin 'test.broken' ({DIST}) failed to load: "
        "ImportError: gd_test_missing is not installed"
    ),
    "test.not_a_step": (
        f"step type plugin 'test.not_a_step' ({DIST}) failed to load: "
        "TypeError: not a subclass of glassdome.steps.base.StepType"
    ),
    "secret.set": (
        f"step type plugin 'secret.set' ({DIST}) ignored: a plugin cannot replace a built-in"
    ),
}
PLAYBOOK = """\
name: plugged
steps:
  - {id: hello, uses: test.echo, with: {text: hello}}
"""


@pytest.fixture
def plugins(tmp_path: Path) -> str:
    """A folder holding an installed distribution with good and broken plugins; its PYTHONPATH."""
    site = tmp_path / "site"
    info = site / "glassdome_test_plugins-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (site / "gd_test_plugins.py").write_text(GOOD)
    (site / "gd_test_broken.py").write_text(BROKEN)
    return f"{site}{os.pathsep}{REPO}"


def test_a_plugin_step_type_runs_and_broken_ones_are_reported_in_one_line_each(
    cli: PlaybookCli, plugins: str
):
    """A name not built in scans the plugins: the good one runs, each bad one is one line."""
    cli.write("playbook.yml", PLAYBOOK)
    result = cli.play("playbook.yml", PYTHONPATH=plugins)
    assert result.code == 0, str(result)
    assert step_messages(result) == {"hello": "echo: hello"}
    reports = [line for line in result.err_lines if "plugin" in line]  # the recap follows
    assert sorted(reports) == sorted(REPORTS.values()), str(result)


def test_the_schema_lists_plugins_and_skips_the_broken_and_a_built_in_stays_itself(
    cli: PlaybookCli, plugins: str
):
    result = cli("playbook", "schema", PYTHONPATH=plugins)
    assert result.code == 0, str(result)
    uses = json.loads(result.out)["$defs"]["StepSpec"]["properties"]["uses"]["enum"]
    assert "test.echo" in uses
    assert "test.broken" not in uses
    assert "test.not_a_step" not in uses
    assert uses.count("secret.set") == 1
    assert sorted(result.err_lines) == sorted(REPORTS.values()), str(result)
    # secret.set is still the built-in: its `with` takes name and value, not text.
    cli.write("playbook.yml", "name: p\nsteps:\n  - {id: a, uses: secret.set, with: {text: x}}\n")
    invalid = cli("playbook", "validate", "playbook.yml", PYTHONPATH=plugins)
    assert invalid.code == 2, str(invalid)
    assert "unknown key 'text'; allowed: name, value" in invalid.err


def test_broken_plugins_do_not_stop_commands_that_need_only_built_ins(
    cli: PlaybookCli, plugins: str
):
    """`playbook list` and `secrets list` work, and do not even scan the installed plugins."""
    folder = cli.cwd / "books"
    folder.mkdir()
    (folder / "lab.yml").write_text("name: lab\ndescription: a lab\nsteps: []\n")
    listed = cli("playbook", "list", str(folder), PYTHONPATH=plugins)
    assert listed.code == 0, str(listed)
    assert "a lab" in listed.out
    assert listed.err == ""
    cli.set("lab_token", "t0ken-value")
    names = cli("secrets", "list", PYTHONPATH=plugins)
    assert names.code == 0, str(names)
    assert "lab_token" in names.out
    assert names.err == ""


def test_a_broken_backend_plugin_is_reported_and_the_built_ins_are_still_offered(
    cli: PlaybookCli, plugins: str
):
    result = cli("secrets", "list", PYTHONPATH=plugins, GLASSDOME_SECRETS_BACKEND="nosuch")
    assert result.code == 1, str(result)
    assert result.err_lines[0] == (
        f"secret backend plugin 'broken' ({DIST}) failed to load: "
        "ImportError: gd_test_missing is not installed"
    )
    assert "choose one of: auto, aws, file, keyring, vault" in result.err
    assert len(result.err_lines) == 2, str(result)
