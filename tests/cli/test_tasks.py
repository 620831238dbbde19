"""The invoke tasks are made from the CLI's command table: the same options, each with help."""

from __future__ import annotations

import argparse
import importlib.util
from types import ModuleType

import pytest

from glassdome.parser import command_parsers
from tests.cli.runner import Cli
from tests.conftest import REPO

# Every task README.md and docs/ name, grouped as `invoke --list` shows them.
TASKS = {
    "lint",
    "system-deps",
    "test",
    "playbook.list",
    "playbook.run",
    "playbook.validate",
    "secrets.copy",
    "secrets.delete",
    "rotate.aws",
    "rotate.azure",
    "rotate.proxmox",
    "secrets.doctor",
    "secrets.inject",
    "secrets.get",
    "secrets.list",
    "secrets.migrate",
    "secrets.set",
    "secrets.show",
    "setup.ai",
    "setup.all",
    "setup.aws",
    "setup.azure",
    "setup.esxi",
    "setup.proxmox",
    "verify",
    "unlock",
    "lock",
    "agent.status",
    "agent.stop",
}


def _tasks() -> ModuleType:
    """A fresh import of tasks.py (invoke consumes a task's help as it reads it)."""
    spec = importlib.util.spec_from_file_location("glassdome_tasks_under_test", REPO / "tasks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_invoke_lists_every_task_with_its_description(cli: Cli):
    result = cli.invoke("--list")
    assert result.code == 0, str(result)
    listed = {
        line.split()[0]: line.split(None, 1)[1]
        for line in result.out.splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    }
    assert set(listed) == TASKS
    assert all(description.strip() for description in listed.values())


def _options(parser: argparse.ArgumentParser) -> dict[str, bool]:
    """Each long option or positional of *parser* as invoke names it, and whether it repeats."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue  # tasks.py leaves out what the CLI keeps hidden
        name = max(action.option_strings, key=len)[2:] if action.option_strings else action.dest
        found[name.replace("_", "-")] = isinstance(action, argparse._AppendAction)
    return found


@pytest.mark.parametrize(
    ("group", "name"),
    [tuple(task.split(".")) for task in sorted(TASKS) if "." in task],
    ids=sorted(task for task in TASKS if "." in task),
)
def test_each_command_task_takes_exactly_the_commands_options(group: str, name: str):
    tasks = _tasks()
    words = tasks.COMMANDS[group][name]
    task = tasks.ns.collections[group].tasks[name]
    arguments = task.get_arguments()
    given = {argument.names[0]: argument.kind is list for argument in arguments}
    assert given == _options(command_parsers()[words])
    assert all(argument.help for argument in arguments), [a.name for a in arguments]
    assert task.__doc__


@pytest.mark.parametrize("name", ["verify", "unlock", "lock"])
def test_each_top_level_task_takes_exactly_the_commands_options(name: str):
    tasks = _tasks()
    task = tasks.ns.tasks[name]
    arguments = task.get_arguments()
    given = {argument.names[0]: argument.kind is list for argument in arguments}
    assert given == _options(command_parsers()[tasks.TOP_COMMANDS[name]])
    assert all(argument.help for argument in arguments), [a.name for a in arguments]
    assert task.__doc__


def test_documented_short_flags_still_work(cli: Cli):
    """docs/playbooks.md: `invoke playbook.run -p FILE`, `invoke playbook.validate -p FILE`."""
    (cli.cwd / "ok.yml").write_text(
        "name: ok\nsteps:\n  - {id: a, uses: message, with: {text: hi}}\n", encoding="utf-8"
    )
    assert cli.invoke("playbook.validate", "-p", "ok.yml").code == 0
    run = cli.invoke("playbook.run", "-p", "ok.yml", "-j", "-n")
    assert run.code == 0, str(run)
    assert '"event": "recap"' in run.out
