"""`glassdome secrets inject`: a template's ``secret('NAME')`` rendered to stdout or to a new
0600 file; an existing file only with --force; a warning when git would see the file; and
never a value in what it says."""

from __future__ import annotations

import hashlib
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.cli.runner import Cli, Result, one_error_line
from tests.conftest import require_tool
from tests.leaks import forms

CANARY = 'canary-Inject-9e1d"\\x'  # a quote and a backslash: tojson must escape them
TEMPLATE = 'pm_api_token_secret = {{ secret("proxmox_token_value") | tojson }}\nnode = "pve"\n'
RENDERED = 'pm_api_token_secret = "canary-Inject-9e1d\\"\\\\x"\nnode = "pve"\n'


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def assert_quiet(result: Result) -> None:
    """Nothing the command said (stderr, and stdout unless it is the rendering) holds the value."""
    for form in forms(CANARY).values():
        assert form not in result.err


@pytest.fixture
def stored(cli: Cli, work: Path) -> Cli:
    cli.set("proxmox_token_value", CANARY)
    (work / "terraform.tfvars.tmpl").write_text(TEMPLATE)
    return cli


def test_inject_renders_to_stdout(stored: Cli):
    result = stored("secrets", "inject", "-i", "terraform.tfvars.tmpl")
    assert result.code == 0, str(result).replace(CANARY, "***")
    assert digest(result.out) == digest(RENDERED)  # compared, never printed
    assert result.err == ""


def test_inject_creates_the_file_0600_and_says_so_without_the_value(stored: Cli, work: Path):
    result = stored("secrets", "inject", "-i", "terraform.tfvars.tmpl", "-o", "terraform.tfvars")
    assert result.code == 0, str(result)
    written = work / "terraform.tfvars"
    assert digest(written.read_text()) == digest(RENDERED)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert result.out == ""
    assert "terraform.tfvars" in result.err
    assert_quiet(result)


def test_inject_refuses_to_replace_an_existing_file_without_force(stored: Cli, work: Path):
    target = work / "terraform.tfvars"
    target.write_text("hand-written\n")
    target.chmod(0o644)
    result = stored("secrets", "inject", "-i", "terraform.tfvars.tmpl", "-o", "terraform.tfvars")
    assert result.code == 1, str(result)
    assert "--force" in one_error_line(result)
    assert target.read_text() == "hand-written\n"
    forced = stored(
        "secrets", "inject", "-i", "terraform.tfvars.tmpl", "-o", "terraform.tfvars", "--force"
    )
    assert forced.code == 0, str(forced)
    assert digest(target.read_text()) == digest(RENDERED)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # whatever the replaced file's mode was
    assert_quiet(forced)


def test_a_missing_name_is_an_error_and_nothing_is_written(stored: Cli, work: Path):
    (work / "bad.tmpl").write_text(
        'a = {{ secret("proxmox_token_value") }}\nb = {{ secret("nope") }}\n'
    )
    result = stored("secrets", "inject", "-i", "bad.tmpl", "-o", "out")
    assert result.code == 1, str(result)
    assert "bad.tmpl: no secret named 'nope'" in one_error_line(result)
    assert not (work / "out").exists()
    assert_quiet(result)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ settings.proxmox_host }}", "'settings' is undefined"),
        ("{{ inputs }}", "'inputs' is undefined"),
        ("{{ env }}", "'env' is undefined"),
        ("{{ ''.__class__ }}", "unsafe"),
        ("line one\n{{ secret( }}", "bad.tmpl:2: "),
    ],
)
def test_the_template_sees_nothing_but_secret(
    stored: Cli, work: Path, template: str, expected: str
):
    (work / "bad.tmpl").write_text(template)
    result = stored("secrets", "inject", "-i", "bad.tmpl")
    assert result.code == 1, str(result)
    assert expected in one_error_line(result)
    assert result.out == ""


def test_an_error_after_a_secret_was_read_never_quotes_it(stored: Cli, work: Path):
    (work / "bad.tmpl").write_text('{{ {}[secret("proxmox_token_value")] }}')
    result = stored("secrets", "inject", "-i", "bad.tmpl")
    assert result.code == 1, str(result)
    one_error_line(result)
    assert_quiet(result)
    (work / "bad.tmpl").write_text('{{ secret(secret("proxmox_token_value")) }}')
    result = stored("secrets", "inject", "-i", "bad.tmpl")
    assert result.code == 1, str(result)
    one_error_line(result)
    assert_quiet(result)


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        [shutil.which("git") or "git", "-C", str(folder), *args],
        check=True,
        capture_output=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "GIT_CONFIG_NOSYSTEM": "1"},
    )


@pytest.fixture
def repo(stored: Cli, work: Path) -> Path:
    require_tool("git")
    _git(work, "init", "-q")
    (work / ".gitignore").write_text("ignored.tfvars\n")
    (work / "tracked.tfvars").write_text("old\n")
    _git(work, "add", "tracked.tfvars", ".gitignore")
    return work


@pytest.mark.parametrize(
    ("output", "warning"),
    [
        ("tracked.tfvars", "is tracked by git"),
        ("unignored.tfvars", "is not ignored by git: add it to .gitignore"),
        ("ignored.tfvars", None),
    ],
)
def test_inject_warns_when_git_would_see_the_file(
    stored: Cli, repo: Path, output: str, warning: str | None
):
    result = stored(
        "secrets", "inject", "-i", "terraform.tfvars.tmpl", "-o", output, "--force", HOME=str(repo)
    )
    assert result.code == 0, str(result)
    warnings = [line for line in result.err_lines if line.startswith("warning:")]
    if warning is None:
        assert warnings == [], str(result)
    else:
        assert len(warnings) == 1, str(result)
        assert warnings[0].startswith(f"warning: {output} {warning}"), str(result)
    assert_quiet(result)


def test_inject_outside_a_work_tree_says_nothing_about_git(stored: Cli):
    result = stored("secrets", "inject", "-i", "terraform.tfvars.tmpl", "-o", "out.tfvars")
    assert result.code == 0, str(result)
    assert not [line for line in result.err_lines if line.startswith("warning:")]
