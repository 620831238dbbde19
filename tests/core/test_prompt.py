"""Where the store asks for its master password, end to end on a pseudo-terminal (pexpect).

A command passes its terminal (tests/cli/test_pty.py covers the CLI); Python code
that opens the store on a terminal is asked through getpass, or through the
prompt it hands to `get_secrets_manager`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.cli.runner import Cli, finish
from tests.conftest import PASSWORD

LIST_NAMES = (
    "from glassdome.core.secrets import get_secrets_manager\n"
    "print('names:', get_secrets_manager().list_secrets())\n"
)

OWN_PROMPT = """
import os
from glassdome.core.secrets import get_secrets_manager

class Prompt:
    def ask_secret(self, prompt):
        print("asked by the program:", prompt)
        return os.environ["TYPED_BY_THE_PROGRAM"]

    def say(self, message):
        print("said by the program:", message)

manager = get_secrets_manager()  # made first, as settings would make it
assert get_secrets_manager(prompt=Prompt()) is manager
print("names:", manager.list_secrets())
"""


def _cli(home: Path, tmp_path: Path) -> Cli:
    work = tmp_path / "work"
    work.mkdir()
    cli = Cli(home=home, cwd=work)
    cli.set("kept", "stored value")
    return cli


def test_python_code_on_a_terminal_is_asked_through_getpass(home: Path, tmp_path: Path) -> None:
    cli = _cli(home, tmp_path)
    child = cli.spawn([sys.executable, "-c", LIST_NAMES], unset=("GLASSDOME_MASTER_PASSWORD",))
    child.expect("Master password for the glassdome secret store: ")
    assert child.waitnoecho(timeout=10), "echo was never turned off"
    child.sendline(PASSWORD)
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "names: ['kept']" in transcript
    assert PASSWORD not in transcript


def test_a_prompt_handed_to_the_process_wide_store_is_the_one_asked(
    home: Path, tmp_path: Path
) -> None:
    cli = _cli(home, tmp_path)
    child = cli.spawn(
        [sys.executable, "-c", OWN_PROMPT],
        unset=("GLASSDOME_MASTER_PASSWORD",),
        TYPED_BY_THE_PROGRAM=PASSWORD,
    )
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "asked by the program: Master password for the glassdome secret store" in transcript
    assert "names: ['kept']" in transcript
    assert "said by the program" not in transcript
