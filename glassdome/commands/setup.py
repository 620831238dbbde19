"""`glassdome setup ...`, `invoke setup.*`: the wizards, the playbooks in ``playbooks/setup/``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glassdome.errors import UsageError
from glassdome.ui.console import Terminal
from glassdome.ui.redact import Redactor

__all__ = ["TITLES", "WIZARDS", "builtin_playbook", "run_all", "run_wizard", "wizard_path"]

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


def builtin_playbook(kind: str, name: str, known: Sequence[str]) -> Path:
    """``playbooks/KIND/NAME.yml``: the checkout's, else the copy installed with the package."""
    if name not in known:
        raise UsageError(f"no {kind} playbook {name!r}; there are: {', '.join(known)}")
    here = Path(__file__).resolve().parent.parent
    for folder in (here.parent / "playbooks" / kind, here / "_playbooks" / kind):
        if (folder / f"{name}.yml").is_file():
            return folder / f"{name}.yml"
    raise UsageError(f"the {kind} playbook {name} is not installed (playbooks/{kind}/{name}.yml)")


def run_wizard(term: Terminal, redactor: Redactor, name: str, **options: Any) -> int:
    """Run one wizard with `glassdome play` options."""
    # The engine loads when a wizard runs, not when the CLI's parser reads WIZARDS.
    from glassdome.commands.play import play

    return play(term, redactor, wizard_path(name), **options)


def run_all(term: Terminal, redactor: Redactor, include: Sequence[str] = (), **options: Any) -> int:
    """Run the chosen wizards in turn (asking which on a terminal); stop at the first failure."""
    chosen = [name.strip() for name in include if name.strip()]
    unknown = [name for name in chosen if name not in WIZARDS]
    if unknown:
        raise UsageError(f"no setup wizard {', '.join(unknown)}; wizards: {', '.join(WIZARDS)}")
    if not chosen:
        if not term.interactive or options.get("no_input"):
            raise UsageError(
                f"say which wizards to run with --include (any of: {', '.join(WIZARDS)})"
            )
        chosen = [name for name in WIZARDS if term.confirm(f"Set up {TITLES[name]}?")]
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
