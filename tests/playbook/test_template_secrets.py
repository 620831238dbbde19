"""Templates reach secrets through `secret()` only, and whatever they derive from one is a secret.

``settings`` in a template is a read-only mapping of the plain setting values:
no method of `Settings` (``proxmox_instance()``), no `SecretStr`, nothing that
opens the store, however a template reaches it. A rendered value whose
evaluation read a secret (``secret()``, a ``type: secret`` input, a secret step
output, a var or input derived from one) is masked as a whole in every output
and refused by config.set, however the template transformed it.
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from glassdome.ui.redact import Redactor
from tests.cli.runner import Result
from tests.playbook.support import PlaybookCli, leaks, seed, step_messages, step_statuses

TOKEN = "tokcanary-3e9a71-Pr0xm0x$tok/+="
STORED = "storedcanary-5d2b8c-V4lue$x/+="
INPUT = "inputcanary-8f14e2-S3cret$in/+="
ENV = "PROXMOX_HOST=pve.lab.example\nPROXMOX_PORT=8443\nPROXMOX_TOKEN_NAME=glassdome\n"
REFUSED = "the value holds a secret; store it with secret.set"


def _playbook(text: str, save: str) -> str:
    """A message showing *text*, then config.set writing *save* (as JSON: YAML keeps it)."""
    return (
        "name: template secrets\n"
        "inputs:\n  - {name: pw, type: secret}\n"
        "vars:\n  derived: \"{{ secret('stored') | reverse }}\"\n"
        "steps:\n"
        f"  - {{id: show, uses: message, ignore_errors: true,"
        f" with: {{text: {json.dumps(text)}}}}}\n"
        f"  - {{id: save, uses: config.set, with: {{values: {{APP_VALUE: {json.dumps(save)}}}}}}}\n"
    )


def _runs(cli: PlaybookCli, text: str, save: str) -> dict[str, Result]:
    cli.write("playbook.yml", _playbook(text, save))
    return {
        "json": cli.play("playbook.yml", GLASSDOME_INPUT_PW=INPUT),
        "human": cli.play("playbook.yml", json=False, GLASSDOME_INPUT_PW=INPUT),
        "check": cli.play("playbook.yml", "--check", GLASSDOME_INPUT_PW=INPUT),
    }


SETTINGS_ATTACKS = [
    "{% set s = settings %}{{ s.proxmox_instance('').token_value.get_secret_value() }}",
    "{{ settings['proxmox_' ~ 'instance']('').token_value.get_secret_value() }}",
    "{{ (settings | attr('proxmox_instance'))('').token_value.get_secret_value() }}",
    "{% set s = settings %}{{ s.proxmox_token_value }}",
    "{{ settings['proxmox_token' ~ '_value'] }}",
    "{% set s = settings %}{{ s['model_fields'] }}",
    "{% set s = settings %}{{ s.model_dump() }}",
    "{{ settings | attr('proxmox_token_value') }}",
    "{% set s = settings %}{{ s.__class__ }}",
]


@pytest.mark.parametrize("attack", SETTINGS_ATTACKS)
def test_settings_never_reaches_a_stored_secret(
    cli: PlaybookCli, home: Path, work: Path, attack: str
):
    """Aliases, computed keys and `attr` find no secret, method or model internals in settings:
    the template fails without a value, and config.set writes nothing."""
    seed(home, {"proxmox_token_value": TOKEN, "stored": STORED})
    (work / ".env").write_text(ENV, encoding="utf-8")
    runs = _runs(cli, attack, attack)
    for mode, result in runs.items():
        assert leaks(result.out + result.err, {"token": TOKEN}) == [], (mode, str(result))
    first = runs["json"]
    assert first.code == 1, str(first)
    assert step_statuses(first) == [("show", "failed"), ("save", "failed")]
    messages = step_messages(first)
    assert messages["show"].startswith("template "), messages
    assert "APP_VALUE" not in (work / ".env").read_text("utf-8")


def test_settings_shows_the_plain_values(cli: PlaybookCli, home: Path, work: Path):
    """The non-secret settings render, by attribute, key, computed key and iteration."""
    seed(home, {"stored": STORED})
    (work / ".env").write_text(ENV, encoding="utf-8")
    text = (
        "{{ settings.proxmox_host }}:{{ settings['proxmox_port'] }} "
        "{% set s = settings %}{{ s['proxmox_token' ~ '_name'] }} "
        "{{ settings.proxmox_verify_ssl }} {{ 'proxmox_token_value' in settings }} "
        "{{ settings | length > 10 }}"
    )
    runs = _runs(cli, text, "{{ settings.proxmox_host }}")
    result = runs["json"]
    assert result.code == 0, str(result)
    messages = step_messages(result)
    assert messages["show"] == "pve.lab.example:8443 glassdome True False True"
    assert "APP_VALUE=pve.lab.example" in (work / ".env").read_text("utf-8")


DERIVED = {
    "reverse": ("{{ secret('stored') | reverse }}", STORED[::-1]),
    "upper": ("{{ secret('stored') | upper }}", STORED.upper()),
    "slice": ("{{ secret('stored')[1:] }}", STORED[1:]),
    "join": ("{{ secret('stored') | list | join(' ') }}", " ".join(STORED)),
    "input reverse": ("{{ inputs.pw | reverse }}", INPUT[::-1]),
    "input alias": ("{% set i = inputs %}{{ i['p' ~ 'w'][2:] | upper }}", INPUT[2:].upper()),
    "input items": ("{% set i = inputs %}{{ i.values() | list | first | reverse }}", INPUT[::-1]),
    "input tojson": ("{{ inputs | tojson }}", json.dumps({"pw": INPUT})),
    "var": ("{{ vars.derived }}", STORED[::-1]),
    "var upper": ("{{ vars.derived | upper }}", STORED[::-1].upper()),
    "in text": (
        "key={{ secret('stored') | replace('canary', 'x') }};",
        STORED.replace("canary", "x"),
    ),
}


@pytest.mark.parametrize("name", list(DERIVED))
def test_a_value_derived_from_a_secret_is_masked_and_refused(
    cli: PlaybookCli, home: Path, work: Path, name: str
):
    """Reversed, upper-cased, sliced, joined or kept in a var: the rendered value is masked as a
    whole in --json, human and --check output, and config.set refuses to write it."""
    template, derived = DERIVED[name]
    seed(home, {"stored": STORED})
    runs = _runs(cli, template, template)
    secrets = {"stored": STORED, "input": INPUT, "derived": derived}
    for mode, result in runs.items():
        assert result.code == 1, (mode, str(result))
        assert leaks(result.out + result.err, secrets) == [], (mode, str(result))
    for mode in ("json", "check"):
        result = runs[mode]
        assert step_statuses(result) == [("show", "ok"), ("save", "failed")], str(result)
        messages = step_messages(result)
        assert messages["show"] == "***"
        assert f"APP_VALUE: {REFUSED}" in messages["save"]
    assert "***" in runs["human"].out
    assert not (work / ".env").exists()


def test_an_expression_error_quoting_a_derived_value_is_masked(cli: PlaybookCli, home: Path):
    """``when:`` and ``that:`` read secrets too: an error quoting what they made of one is
    masked as a whole."""
    seed(home, {"stored": STORED})
    cli.write(
        "playbook.yml",
        "name: p\ninputs:\n  - {name: pw, type: secret}\nsteps:\n"
        "  - {id: w, uses: message, when: '{}[inputs.pw | reverse]', with: {text: hi},"
        " ignore_errors: true}\n"
        "  - {id: a, uses: assert, with: {that: \"{}[secret('stored') | upper]\"}}\n",
    )
    for as_json in (True, False):
        result = cli.play("playbook.yml", json=as_json, GLASSDOME_INPUT_PW=INPUT)
        assert result.code == 1, str(result)
        derived = {"reverse": INPUT[::-1], "upper": STORED.upper()}
        assert leaks(result.out + result.err, {**derived, "input": INPUT}) == [], str(result)
        if as_json:
            messages = step_messages(result)
            assert messages["w"] == "expression '{}[inputs.pw | reverse]': ***", messages
            assert messages["a"].endswith(": ***"), messages


def test_a_secret_step_output_transformed_is_secret_derived():
    """A secret output (registered by the runner) read through `steps` marks the render."""
    from glassdome.playbook.template import SECRETS_KEY, TemplateFailed, render

    redactor = Redactor()
    redactor.add("outcanary-71c0")
    context = {
        "steps": {"token": {"value": "outcanary-71c0", "id": "plain"}},
        "inputs": {},
        "vars": {},
        SECRETS_KEY: redactor,
    }
    assert render("{{ steps.token.id }}", context, {}) == "plain"
    assert not redactor.holds("plain")
    shown = render("{{ steps['tok' ~ 'en'].value | upper }}", context, {})
    assert shown == "OUTCANARY-71C0"
    assert redactor.holds(shown)
    assert redactor.mask(f"x {shown} y") == "x *** y"
    short = render("{{ steps.token.value[:2] }}", context, {})
    assert short == "ou"
    assert redactor.holds(short)  # too short to mask everywhere, still refused by config.set
    with pytest.raises(TemplateFailed) as failed:
        render("{{ {}[steps.token.value | reverse] }}", context, {})
    assert redactor.mask(str(failed.value)).count("41c7-yranactuo") == 0


# Secrets for the property test: printable, no whitespace (a --set value), long enough that
# they cannot show up in the output by chance.
ALPHABET = st.characters(
    categories=("L", "N", "P", "S"), max_codepoint=0x24F, exclude_characters="\x00"
)
PROPERTY_PLAYBOOK = """\
name: derived forms
inputs:
  - {name: pw, type: secret}
steps:
  - {id: plain, uses: message, with: {text: "{{ inputs.pw }}"}}
  - {id: json, uses: message, with: {text: "{{ inputs.pw | tojson }}"}}
  - {id: url, uses: message, with: {text: "{{ inputs.pw | urlencode }}"}}
  - {id: reverse, uses: message, with: {text: "{{ inputs.pw | reverse }}"}}
  - {id: upper, uses: message, with: {text: "{{ inputs.pw | upper }}"}}
  - {id: lower, uses: message, with: {text: "{{ inputs.pw | lower }}"}}
  - {id: slice, uses: message, with: {text: "{{ inputs.pw[1:] }}"}}
  - {id: join, uses: message, with: {text: "{{ inputs.pw | list | join(' ') }}"}}
  - {id: save, uses: config.set, with: {values: {APP_VALUE: "{{ inputs.pw | reverse }}"}}}
"""


def _derived_forms(secret: str) -> dict[str, str]:
    return {
        "secret": secret,
        "reverse": secret[::-1],
        "upper": secret.upper(),
        "lower": secret.lower(),
        "slice": secret[1:],
        "join": " ".join(secret),
    }


def _property_runs(secret: str) -> list[tuple[str, str, int]]:
    with tempfile.TemporaryDirectory() as folder:
        cli = PlaybookCli(home=Path(folder) / "home", cwd=Path(folder))
        cli.write("playbook.yml", PROPERTY_PLAYBOOK)
        out = []
        for as_json in (True, False):
            result = cli.play("playbook.yml", "--set", f"pw={secret}", json=as_json)
            out.append((result.out, result.err, result.code))
        assert not (Path(folder) / ".env").exists()
        return out


@cache
def _baseline() -> str:
    """What a run prints around the secret (masked), and the playbook's text."""
    runs = _property_runs("baseline-Secret-0000")
    return PROPERTY_PLAYBOOK + "".join(out + err for out, err, _ in runs)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=st.text(ALPHABET, min_size=6, max_size=200))
def test_no_form_of_a_secret_or_a_value_derived_from_it_is_shown(secret: str):
    """Any secret, printed plainly, as JSON, URL-encoded, reversed, cased, sliced or joined,
    never shows in --json events, the recap or the human output, and is never written."""
    forms = _derived_forms(secret)
    assume(len(set(secret)) > 2)  # "aaaaaa" reversed or sliced is itself or in "***"
    assume(not leaks(_baseline(), forms))
    for out, err, code in _property_runs(secret):
        assert code == 1, out + err  # config.set refuses the reversed value
        assert leaks(out + err, forms) == [], out + err
        assert REFUSED in out + err


_SHOWN_STEPS = ("plain", "json", "url", "reverse", "upper", "lower", "slice", "join")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=st.text(ALPHABET, min_size=1, max_size=5))
@example(secret="fals")  # inside JSON's own `false`: masking must not break the event
def test_a_secret_too_short_to_find_by_matching_is_still_never_shown(secret: str):
    """A secret of 1 to 5 characters cannot be found in output by matching (it is in
    ordinary words), so every message that is the secret or derived from it is masked
    whole: ``***`` in the --json events and at the end of its line in the human output."""
    with tempfile.TemporaryDirectory() as folder:
        cli = PlaybookCli(home=Path(folder) / "home", cwd=Path(folder))
        cli.write("playbook.yml", PROPERTY_PLAYBOOK)
        as_json = cli.play("playbook.yml", "--set", f"pw={secret}")
        human = cli.play("playbook.yml", "--set", f"pw={secret}", json=False)
        assert not (Path(folder) / ".env").exists()
    messages = step_messages(as_json)
    shown = [step for step in _SHOWN_STEPS if step != "slice" or len(secret) > 1]
    assert {step: messages[step] for step in shown} == dict.fromkeys(shown, "***")
    assert messages["slice"] in ("***", "")  # the slice of one character is empty
    assert REFUSED in messages["save"]
    for step in shown:
        (line,) = [x for x in human.out.splitlines() if f" {step} (message," in x]
        assert line.endswith("  ***"), line
    assert REFUSED in human.out + human.err
