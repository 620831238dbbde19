"""`glassdome setup ...`, `invoke setup.*`: the wizards, the playbooks in ``playbooks/setup/``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glassdome.commands.builtins import builtin_playbook
from glassdome.errors import UsageError
from glassdome.ui.console import Terminal
from glassdome.ui.prompts import ValidatedPrompt
from glassdome.ui.redact import Redactor

__all__ = [
    "TITLES",
    "WIZARDS",
    "builtin_playbook",
    "choose_wizards",
    "list_wizards",
    "run_all",
    "run_wizard",
    "wizard_path",
]

WIZARDS = ("proxmox", "esxi", "azure", "aws", "ai")
TITLES = {
    "proxmox": "Proxmox VE (API token)",
    "esxi": "VMware ESXi / vCenter",
    "azure": "Azure (service principal)",
    "aws": "AWS (access key)",
    "ai": "AI API keys, Mailcow and the app secret key",
}


def wizard_path(name: str) -> Path:
    """The wizard's playbook: the checkout's ``playbooks/setup``, else the installed copy."""
    return builtin_playbook("setup", name, WIZARDS)


def list_wizards(term: Terminal, *, as_json: bool = False) -> None:
    """Every wizard on one line (name and title), or a JSON list of them, on stdout."""
    if as_json:
        listing = [{"name": name, "title": TITLES[name]} for name in WIZARDS]
        term.stdout.write(json.dumps(listing) + "\n")
        return
    width = max(map(len, WIZARDS))
    for name in WIZARDS:
        term.stdout.write(f"{name:<{width}}  {TITLES[name]}\n")
    term.stdout.flush()


def _wizard_names(answer: str) -> list[str]:
    """The wizards an answer names (separated by spaces or commas; ``all`` for every one)."""
    names = [part for part in answer.replace(",", " ").split() if part]
    if names == ["all"]:
        return list(WIZARDS)
    unknown = [name for name in names if name not in WIZARDS]
    if unknown:
        raise ValueError(f"not a wizard: {', '.join(unknown)}; wizards: {', '.join(WIZARDS)}")
    return list(dict.fromkeys(names))


def choose_wizards(term: Terminal) -> list[str]:
    """Ask on the terminal which wizards to run (empty: none)."""
    chosen: list[str] = ValidatedPrompt.ask_validated(
        "Which wizards to run (names separated by spaces, all, or empty for none)",
        validate=_wizard_names,
        console=term.err,
        default="",
    )
    return chosen


def run_wizard(term: Terminal, redactor: Redactor, name: str, **options: Any) -> int:
    """Run one wizard with `glassdome play` options."""
    # The engine loads when a wizard runs, not when the CLI's parser reads WIZARDS.
    from glassdome.commands.play import play

    return play(term, redactor, wizard_path(name), **options)


def run_all(
    term: Terminal,
    redactor: Redactor,
    include: Sequence[str] = (),
    *,
    choose: bool = False,
    **options: Any,
) -> int:
    """Run the chosen wizards in turn (asking which on a terminal); stop at the first failure.

    With *choose* (``glassdome setup`` without a name) and nothing included, the wizards
    are listed first; without a terminal, or with ``--json``, the listing is all there is.
    """
    chosen = [name.strip() for name in include if name.strip()]
    unknown = [name for name in chosen if name not in WIZARDS]
    if unknown:
        raise UsageError(f"no setup wizard {', '.join(unknown)}; wizards: {', '.join(WIZARDS)}")
    asking = term.interactive and not options.get("no_input")
    if not chosen and choose:
        list_wizards(term, as_json=bool(options.get("as_json")))
        if not asking or options.get("as_json"):
            return 0
        chosen = choose_wizards(term)
    elif not chosen:
        if not asking:
            raise UsageError(
                f"say which wizards to run with --include (any of: {', '.join(WIZARDS)})"
            )
        chosen = [name for name in WIZARDS if term.confirm(f"Set up {TITLES[name]}?")]
    return _run_in_turn(term, redactor, chosen, options)


def _run_in_turn(
    term: Terminal, redactor: Redactor, chosen: Sequence[str], options: dict[str, Any]
) -> int:
    for name in chosen:
        term.say(f"[bold]== {TITLES[name]} ==[/]")
        try:
            code = run_wizard(term, redactor, name, **options)
        except Exception:
            # The error itself is the boundary's to print, after this.
            term.say(f"The {name} wizard stopped; the remaining ones did not run.")
            raise
        if code:
            term.say(f"The {name} wizard stopped (exit {code}); the remaining ones did not run.")
            return code
    if not chosen:
        term.say("Nothing chosen; nothing ran.")
    return 0
