"""Playbooks typed interactively, through a real pseudo-terminal (pexpect)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.runner import finish
from tests.conftest import REPO
from tests.playbook.support import PlaybookCli, stored

DEMO = REPO / "playbooks" / "examples" / "demo.yml"
TOKEN = "typed-token-5be1c9"
BAD_TOKEN = "bad!tok"  # the demo's regex refuses "!" and anything under 8 characters


def type_hidden(child, prompt: str, value: str) -> None:
    """Wait for *prompt*, then for echo to go off, then type *value*."""
    child.expect_exact(prompt)
    assert child.waitnoecho(timeout=10), "echo was never turned off"
    child.sendline(value)


def test_demo_playbook_typed_interactively(cli: PlaybookCli, home: Path, work: Path):
    """Each input is asked when the first step using it runs (the token, then the host);
    Enter takes the shown default; a bad token is refused with the reason and asked again
    at once; the token is typed with echo off and never shown; the recap ends the run."""
    child = cli.spawn_glassdome("play", str(DEMO))
    type_hidden(child, "API token: ", BAD_TOKEN)
    child.expect_exact("must match ^[A-Za-z0-9_-]{8,}$")
    type_hidden(child, "API token: ", TOKEN)
    child.expect_exact("Service host (localhost): ")
    child.sendline("")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert TOKEN not in transcript
    assert BAD_TOKEN not in transcript
    assert "Stored demo_token for localhost" in transcript
    assert "RECAP" in transcript
    assert "ok=1  changed=2  skipped=0  failed=0" in transcript
    assert (work / ".env").read_text() == "DEMO_HOST=localhost\n"
    assert stored(home) == {"demo_token": TOKEN}


QUESTIONS = """\
name: questions
inputs:
  - {name: colour, type: choice, choices: [red, green], prompt: Colour}
  - {name: verify, type: bool, prompt: Verify TLS, default: true}
  - {name: site, prompt: "Site [optional]", default: lab, help: "The [b]site[/b] name"}
steps:
  - id: show
    uses: message
    with: {text: "colour={{ inputs.colour }} verify={{ inputs.verify }} site={{ inputs.site }}"}
"""


def test_choice_and_bool_prompts_refuse_other_answers_with_the_reason(cli: PlaybookCli):
    """A choice shows its choices; a bool takes yes/no; prompt and help text are literal."""
    cli.write("playbook.yml", QUESTIONS)
    child = cli.spawn_glassdome("play", "playbook.yml")
    child.expect_exact("Colour [red/green]: ")
    child.sendline("blue")
    child.expect_exact("must be one of: red, green")
    child.expect_exact("Colour [red/green]: ")
    child.sendline("green")
    child.expect_exact("Verify TLS (true): ")
    child.sendline("maybe")
    child.expect_exact("must be yes or no (true/false)")
    child.expect_exact("Verify TLS (true): ")
    child.sendline("n")
    child.expect_exact("The [b]site[/b] name")
    child.expect_exact("Site [optional] (lab): ")
    child.sendline("")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "colour=green verify=False site=lab" in transcript


def test_values_given_elsewhere_are_not_asked(cli: PlaybookCli, home: Path):
    """On a terminal, only the inputs without a value are asked for."""
    child = cli.spawn_glassdome(
        "play", str(DEMO), "--set", "host=pve.lab", GLASSDOME_INPUT_TOKEN=TOKEN
    )
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "Service host" not in transcript
    assert "API token" not in transcript
    assert "Stored demo_token for pve.lab" in transcript
    assert TOKEN not in transcript


def test_an_invalid_value_given_elsewhere_is_asked_again_with_the_reason(
    cli: PlaybookCli, home: Path
):
    """On a terminal, a refused --set or environment value is explained, then asked for."""
    child = cli.spawn_glassdome(
        "play", str(DEMO), "--set", "host=not a host!", GLASSDOME_INPUT_TOKEN=BAD_TOKEN
    )
    child.expect_exact(
        "must match ^[A-Za-z0-9_-]{8,}$ (from GLASSDOME_INPUT_TOKEN); asking instead"
    )
    type_hidden(child, "API token: ", TOKEN)
    child.expect_exact("host: ")
    child.expect_exact("(from --set); asking instead")
    child.expect_exact("Service host (localhost): ")
    child.sendline("pve.lab")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert BAD_TOKEN not in transcript
    assert TOKEN not in transcript
    assert stored(home) == {"demo_token": TOKEN}


def test_an_invalid_playbook_on_a_terminal_asks_nothing(cli: PlaybookCli, home: Path):
    cli.write(
        "playbook.yml",
        "name: t\ninputs:\n  - {name: token, type: secret, prompt: Type the token}\n"
        "steps:\n  - {id: a, uses: secret.sett, with: {name: t, value: x}}\n",
    )
    code, transcript = finish(cli.spawn_glassdome("play", "playbook.yml"))
    assert code == 2, transcript
    assert "playbook.yml:5:19: steps[0].uses: unknown step type 'secret.sett'" in transcript
    assert "Type the token" not in transcript
    assert not home.exists()


def test_no_input_on_a_terminal_lists_the_missing_inputs_and_asks_nothing(
    cli: PlaybookCli, home: Path
):
    code, transcript = finish(cli.spawn_glassdome("play", str(DEMO), "--no-input"))
    assert code == 3, transcript
    assert "token: missing (API token)" in transcript
    assert "API token:" not in transcript
    assert not home.exists()


ASK = """\
name: pick
steps:
  - id: size
    uses: ask
    with: {input: size, prompt: VM size, choices: [small, large]}
  - id: show
    uses: message
    with: {text: "size={{ steps.size.value }}"}
"""


def test_an_invalid_answer_given_for_an_ask_step_is_asked_again_with_the_reason(
    cli: PlaybookCli,
):
    """An `ask` step's answer is resolved as an input's: a refused --set is explained, then
    asked for on the terminal."""
    cli.write("playbook.yml", ASK)
    child = cli.spawn_glassdome("play", "playbook.yml", "--set", "size=huge")
    child.expect_exact("size: must be one of: small, large (from --set); asking instead")
    child.expect_exact("VM size [small/large]: ")
    child.sendline("large")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "size=large" in transcript
    assert "huge" not in transcript
