"""Input conversion and the prompt as units: every type accepted or refused with the
reason (never the value), and the prompt with an injected console and input stream
(exact transcripts)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from glassdome.playbook.inputs import convert
from glassdome.playbook.model import InputSpec
from glassdome.ui.prompts import ValidatedPrompt

# --- conversion and validation (units) --------------------------------------------------


def spec(kind: str = "str", **extra: Any) -> InputSpec:
    return InputSpec.model_validate({"name": "x", "type": kind, **extra})


@pytest.mark.parametrize(
    ("kind", "extra", "raw", "value"),
    [
        ("str", {}, "plain text", "plain text"),
        ("str", {}, "", ""),
        ("str", {}, 42, "42"),
        ("int", {}, "42", 42),
        ("int", {}, " -7 ", -7),
        ("int", {}, 5, 5),
        ("bool", {}, "yes", True),
        ("bool", {}, "Y", True),
        ("bool", {}, "on", True),
        ("bool", {}, "1", True),
        ("bool", {}, "no", False),
        ("bool", {}, "off", False),
        ("bool", {}, "FALSE", False),
        ("bool", {}, False, False),
        ("choice", {"choices": ["red", "green"]}, "green", "green"),
        ("secret", {}, "s3cret-value", "s3cret-value"),
        ("host", {}, "pve.lab.example", "pve.lab.example"),
        ("host", {}, "localhost", "localhost"),
        ("host", {}, "10.0.0.5", "10.0.0.5"),
        ("host", {}, "fe80::1", "fe80::1"),
        ("url", {}, "https://pve.lab:8006/api2/json", "https://pve.lab:8006/api2/json"),
        ("url", {}, "http://10.0.0.5", "http://10.0.0.5"),
        ("port", {}, "8006", 8006),
        ("port", {}, 1, 1),
        ("port", {}, "65535", 65535),
        ("path", {}, "/etc/glassdome", "/etc/glassdome"),
        ("str", {"validate": {"regex": "[a-z]+-[0-9]+"}}, "lab-1", "lab-1"),
        ("str", {"validate": {"min": 3, "max": 5}}, "abcde", "abcde"),
        ("int", {"validate": {"min": 1, "max": 10}}, "10", 10),
        ("port", {"validate": {"min": 1024}}, "8443", 8443),
    ],
)
def test_convert_accepts_and_converts(kind: str, extra: dict[str, Any], raw: Any, value: Any):
    assert convert(spec(kind, **extra), raw) == value


def test_convert_path_expands_the_home_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert convert(spec("path"), "~/lab/keys") == f"{tmp_path}/lab/keys"


@pytest.mark.parametrize(
    ("kind", "extra", "raw", "reason"),
    [
        ("int", {}, "forty", "must be a whole number"),
        ("int", {}, "4.5", "must be a whole number"),
        ("int", {}, True, "must be a whole number"),
        ("int", {}, "", "a value is required"),
        ("int", {}, None, "a value is required"),
        ("bool", {}, "maybe", "must be yes or no (true/false)"),
        ("choice", {"choices": ["red", "green"]}, "blue", "must be one of: red, green"),
        ("secret", {}, "", "a value is required"),
        ("host", {}, "https://pve.lab", "must be a host name or IP address (no scheme or port)"),
        ("host", {}, "pve.lab:8006", "must be a host name or IP address (no scheme or port)"),
        ("host", {}, "bad_name.lab", "must be a host name or IP address (no scheme or port)"),
        ("host", {}, "-dash.lab", "must be a host name or IP address (no scheme or port)"),
        ("url", {}, "ftp://files.lab", "must be an http:// or https:// URL with a host"),
        ("url", {}, "https:///no-host", "must be an http:// or https:// URL with a host"),
        ("url", {}, "pve.lab", "must be an http:// or https:// URL with a host"),
        ("port", {}, "0", "must be a port number from 1 to 65535"),
        ("port", {}, "65536", "must be a port number from 1 to 65535"),
        ("port", {}, "https", "must be a whole number"),
        ("path", {}, "", "a value is required"),
        ("str", {}, ["a", "list"], "must be text"),
        ("str", {"validate": {"regex": "[a-z]+"}}, "ABC", "must match [a-z]+"),
        ("str", {"validate": {"regex": "[a-z]+"}}, "abc1", "must match [a-z]+"),
        ("str", {"validate": {"min": 3}}, "ab", "must be at least 3 characters"),
        ("str", {"validate": {"max": 3}}, "abcd", "must be at most 3 characters"),
        ("int", {"validate": {"min": 2}}, "1", "must be at least 2"),
        ("int", {"validate": {"max": 5}}, "6", "must be at most 5"),
        ("port", {"validate": {"min": 1024}}, "80", "must be at least 1024"),
        ("secret", {"validate": {"min": 12}}, "short-pass", "must be at least 12 characters"),
    ],
)
def test_convert_refuses_with_the_reason_and_never_the_value(
    kind: str, extra: dict[str, Any], raw: Any, reason: str
):
    with pytest.raises(ValueError) as caught:
        convert(spec(kind, **extra), raw)
    assert str(caught.value) == reason
    if isinstance(raw, str) and len(raw) >= 4:
        assert raw not in str(caught.value)


# --- the prompt (units, exact transcripts) ----------------------------------------------


def ask(prompt: str, kind: str, answers: str, **extra: Any) -> tuple[Any, str]:
    """Ask through ValidatedPrompt with a recording console; return (value, transcript)."""
    console = Console(record=True, file=io.StringIO(), width=100, color_system=None)
    given = spec(kind, **{k: v for k, v in extra.items() if k != "default"})
    value = ValidatedPrompt.ask_validated(
        prompt,
        validate=lambda text: convert(given, text),
        console=console,
        choices=given.choices,
        default=extra.get("default"),
        stream=io.StringIO(answers),
    )
    return value, console.export_text()


def test_prompt_reasks_at_once_with_the_reason_after_an_invalid_answer():
    value, transcript = ask("Site code", "str", "bad\nabc-12\n", validate={"regex": "[a-z]+-\\d+"})
    assert value == "abc-12"
    assert transcript == "Site code: must match [a-z]+-\\d+\nSite code: "


def test_prompt_takes_the_shown_default_on_an_empty_line():
    value, transcript = ask("API port", "port", "\n", default="8006")
    assert value == 8006
    assert transcript == "API port (8006): "


def test_prompt_validates_then_takes_the_default():
    value, transcript = ask("API port", "port", "http\n70000\n\n", default="8006")
    assert value == 8006
    assert transcript == (
        "API port (8006): must be a whole number\n"
        "API port (8006): must be a port number from 1 to 65535\n"
        "API port (8006): "
    )


def test_prompt_for_a_choice_shows_the_choices_and_refuses_others():
    value, transcript = ask("Colour", "choice", "blue\ngreen\n", choices=["red", "green"])
    assert value == "green"
    assert transcript == "Colour [red/green]: must be one of: red, green\nColour [red/green]: "


def test_prompt_for_a_bool_converts_yes_and_no():
    value, transcript = ask("Verify TLS", "bool", "maybe\nn\n", default="true")
    assert value is False
    assert transcript == ("Verify TLS (true): must be yes or no (true/false)\nVerify TLS (true): ")


def test_prompt_reasons_are_shown_literally_not_as_rich_markup():
    value, transcript = ask("Name", "str", "X\nab\n", validate={"regex": "[a-z]+"})
    assert value == "ab"
    assert transcript == "Name: must match [a-z]+\nName: "


def test_a_fingerprint_in_a_prompt_is_shown_as_it_is_never_as_emoji():
    """Rich turns ":CD:" into a disc in markup unless told not to; a fingerprint has such pairs."""
    fingerprint = "AB:CD:1F:2B:3C"
    value, transcript = ask(f"Trust [b]{fingerprint}[/b]?", "str", "yes\n")
    assert value == "yes"
    assert transcript == f"Trust {fingerprint}?: "


def test_a_confirmation_shows_a_fingerprint_as_it_is():
    from glassdome.ui.console import Terminal

    err = io.StringIO()
    term = Terminal(stdin=io.StringIO("y\n"), stdout=io.StringIO(), stderr=err, env={})
    assert term.confirm("Trust [b]AB:CD:1F[/b]?") is True
    assert "Trust AB:CD:1F? [y/n] (n): " in err.getvalue()
