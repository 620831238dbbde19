"""`glassdome completion bash|zsh|tcsh`: scripts made from the real parser, run in real shells."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.runner import Cli, one_error_line
from tests.conftest import require_tool

# Calls the function `complete -p glassdome` registered the way bash does on TAB:
# COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT set, then FUNCTION COMMAND WORD PREVIOUS.
COMPLETE = r"""
source "$1"; shift
spec=$(complete -p glassdome) || exit 3
function=${spec##* -F }; function=${function%% *}
COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
"$function" glassdome "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bash script, made once by the command as a process."""
    work = tmp_path_factory.mktemp("completion")
    result = Cli(home=work / "home", cwd=work)("completion", "bash")
    assert result.code == 0, str(result)
    assert result.err == ""
    script = work / "glassdome.bash"
    script.write_text(result.out, encoding="utf-8")
    return script


def complete(script: Path, *words: str) -> list[str]:
    """What bash offers after ``WORDS`` (the last word is the one being completed)."""
    require_tool("bash")
    bash = shutil.which("bash") or "bash"
    done = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", COMPLETE, "complete", str(script), *words],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.parametrize(
    ("words", "offered"),
    [
        (("glassdome", "sec"), ["secrets"]),
        (("glassdome", "secrets", "mi"), ["migrate"]),
        (("glassdome", "comp"), ["completion"]),
        (("glassdome", "completion", ""), ["bash", "zsh", "tcsh"]),
    ],
    ids=["group", "command", "itself", "shells"],
)
def test_bash_completes_commands_from_the_parser(
    bash_script: Path, words: tuple[str, ...], offered: list[str]
) -> None:
    assert complete(bash_script, *words) == offered


def test_bash_completes_the_options_of_a_command_including_json(bash_script: Path) -> None:
    offered = complete(bash_script, "glassdome", "secrets", "copy", "--")
    assert {"--from", "--to", "--only", "--dry-run", "--overwrite", "--json"} <= set(offered)
    assert "--env-file" not in offered  # migrate's, not copy's


def test_a_path_option_completes_file_names(bash_script: Path) -> None:
    (bash_script.parent / "lab.env").write_text("", encoding="utf-8")
    offered = complete(
        bash_script, "glassdome", "secrets", "migrate", "--env-file", str(bash_script.parent / "la")
    )
    assert offered == [str(bash_script.parent / "lab.env")]


@pytest.mark.parametrize(
    ("shell", "marker"), [("zsh", "#compdef glassdome"), ("tcsh", "complete glassdome")]
)
def test_zsh_and_tcsh_scripts_are_made_and_load(cli: Cli, shell: str, marker: str) -> None:
    """Non-empty, naming glassdome's commands; where the shell exists, it takes the script.

    zsh checks the syntax (`zsh -n`); tcsh has no such check, so it sources the script
    and lists what `complete glassdome` now holds.
    """
    result = cli("completion", shell)
    assert result.code == 0, str(result)
    assert marker in result.out
    assert "secrets" in result.out
    assert "migrate" in result.out
    require_tool(shell)
    program = shutil.which(shell)
    assert program is not None
    script = cli.cwd / f"glassdome.{shell}"
    script.write_text(result.out, encoding="utf-8")
    argv = {
        "zsh": [program, "-n", str(script)],
        "tcsh": [program, "-f", "-c", f"source {script}; complete glassdome"],
    }[shell]
    checked = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ""
    if shell == "tcsh":
        assert re.search(r"n/secrets/\([^)]*\bmigrate\b", checked.stdout), checked.stdout


def test_an_unknown_shell_is_a_usage_error(cli: Cli) -> None:
    result = cli("completion", "fish")
    assert result.code == 2
    assert "bash" in one_error_line(result)
    assert result.out == ""


def test_zsh_registers_the_script_installed_as_the_readme_says(cli: Cli) -> None:
    """A file `_glassdome` in a folder on $fpath: compinit makes it glassdome's completer."""
    require_tool("zsh")
    zsh = shutil.which("zsh")
    assert zsh is not None
    folder = cli.cwd / "zfunc"
    folder.mkdir()
    result = cli("completion", "zsh")
    assert result.code == 0, str(result)
    (folder / "_glassdome").write_text(result.out, encoding="utf-8")
    script = (
        f"fpath=({folder} $fpath); autoload -Uz compinit && compinit -u -d {cli.cwd}/zcompdump; "
        'print -r -- "${_comps[glassdome]}"'
    )
    done = subprocess.run(
        [zsh, "-f", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"HOME": str(cli.cwd), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "_glassdome"
