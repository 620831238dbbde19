"""`invoke setup.all` runs the chosen wizards in turn; the scripts/setup launchers run one each."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from glassdome.commands.setup import WIZARDS
from tests.cli.runner import Cli, finish
from tests.conftest import REPO
from tests.setup.support import work_folder


@pytest.fixture
def cli(home: Path, tmp_path: Path) -> Cli:
    return Cli(home=home, cwd=work_folder(tmp_path))


def test_all_runs_the_included_wizards_without_a_terminal(cli: Cli) -> None:
    """--include ai: the ai wizard runs (nothing chosen but the generated secret_key)."""
    result = cli.invoke("setup.all", "--include", "ai", "--no-input")
    assert result.code == 0, str(result)
    assert "AI API keys" in result.err
    assert cli.names() == ["secret_key"]
    again = cli.invoke("setup.all", "--include", "ai", "--no-input", "--json")
    assert again.code == 0, str(again)
    assert '"changed": 0' in again.out


def test_all_without_a_terminal_needs_include(cli: Cli) -> None:
    result = cli.invoke("setup.all", "--no-input")
    assert result.code == 2, str(result)
    assert "--include" in result.err
    assert "proxmox" in result.err
    assert not cli.home.exists()


def test_all_refuses_an_unknown_wizard(cli: Cli) -> None:
    result = cli.invoke("setup.all", "--include", "ai,nosuch", "--no-input")
    assert result.code == 2, str(result)
    assert "nosuch" in result.err
    assert not cli.home.exists()


def test_all_asks_which_wizards_to_include_on_a_terminal(cli: Cli) -> None:
    """Declining every platform but ai runs only the ai wizard, which asks its own questions."""
    child = cli.spawn([sys.executable, "-m", "invoke", "-r", str(REPO), "setup.all"])
    for platform in ("Proxmox", "ESXi", "Azure", "AWS"):
        child.expect(f"Set up [^\\n]*{platform}")
        child.sendline("n")
    child.expect("Set up [^\\n]*AI API keys")
    child.sendline("y")
    for question in ("OpenAI API key", "Anthropic API key", "Mailcow"):  # no to each
        child.expect(f"Set up [^\\n]*{question}[^\\n]*\\?")
        child.sendline("n")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert cli.names() == ["secret_key"]


def test_a_launcher_runs_its_wizard(cli: Cli) -> None:
    result = cli.run(
        [sys.executable, str(REPO / "scripts" / "setup" / "setup_ai.py"), "--no-input"]
    )
    assert result.code == 0, str(result)
    assert cli.names() == ["secret_key"]


def test_setup_without_a_name_lists_the_wizards_and_asks_which_on_a_terminal(cli: Cli) -> None:
    """The listing, then one Rich prompt; answering ``ai`` runs the ai wizard alone."""
    child = cli.spawn_glassdome("setup")
    child.expect(r"aws\s+AWS \(access key\)")
    child.expect(r"Which wizards to run[^\n]*: ")
    child.sendline("ai nosuch")
    child.expect("not a wizard: nosuch")  # said why, asked again
    child.expect(r"Which wizards to run[^\n]*: ")
    child.sendline("ai")
    for question in ("OpenAI API key", "Anthropic API key", "Mailcow"):
        child.expect(f"Set up [^\\n]*{question}[^\\n]*\\?")
        child.sendline("n")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "Proxmox" not in transcript.split("Which wizards", 1)[1]
    assert cli.names() == ["secret_key"]


def test_setup_without_a_terminal_only_lists(cli: Cli) -> None:
    result = cli("setup")
    assert result.code == 0, str(result)
    assert [line.split()[0] for line in result.out.splitlines()] == list(WIZARDS)
    assert not cli.home.exists()


def test_setup_with_several_names_runs_them_in_turn(cli: Cli) -> None:
    result = cli(
        "setup",
        "aws",
        "ai",
        "--no-verify",
        "--no-input",
        GLASSDOME_INPUT_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
        GLASSDOME_INPUT_SECRET_ACCESS_KEY="not-a-real-secret-key",
    )
    assert result.code == 0, str(result)
    assert result.err.index("AWS (access key)") < result.err.index("AI API keys")
    assert cli.names() == ["aws_secret_access_key", "secret_key"]


def test_a_local_file_of_a_built_in_name_wins(cli: Cli) -> None:
    (cli.cwd / "setup").mkdir()
    (cli.cwd / "setup" / "aws.yml").write_text(
        "name: mine\nsteps:\n  - {id: hi, uses: message, with: {text: the local one}}\n",
        encoding="utf-8",
    )
    local = cli("play", "setup/aws.yml", "--no-input")
    assert local.code == 0, str(local)
    assert "the local one" in local.out + local.err
    builtin = cli("playbook", "validate", "setup/proxmox")
    assert builtin.code == 0, str(builtin)
    assert "setup/proxmox: valid" in builtin.out + builtin.err


def test_a_bare_wizard_name_is_its_setup_playbook(cli: Cli) -> None:
    """`glassdome play aws` runs the wizard setup/aws; a name nothing has is one clear line."""
    result = cli(
        "play",
        "aws",
        "--no-verify",
        "--no-input",
        GLASSDOME_INPUT_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE",
        GLASSDOME_INPUT_SECRET_ACCESS_KEY="not-a-real-secret-key",
    )
    assert result.code == 0, str(result)
    assert cli.names() == ["aws_secret_access_key"]
    missing = cli("play", "nosuchwizard", "--no-input")
    assert missing.code == 2
    assert "no such playbook here, nor a built-in one" in missing.err
    assert "setup/proxmox" in missing.err


def test_playbook_list_in_the_checkout_lists_its_playbooks_once(cli: Cli) -> None:
    """From the checkout's root, ./playbooks is the built-in folder: nothing twice."""
    result = Cli(home=cli.home, cwd=REPO)("playbook", "list")
    assert result.code == 0, str(result)
    assert "(built-in)" not in result.out
    assert result.out.count("proxmox.yml") == 2  # setup/ and rotate/
