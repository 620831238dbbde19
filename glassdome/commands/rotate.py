"""`glassdome rotate ...`, `invoke rotate.*`: the rotation playbooks in ``playbooks/rotate/``.

Each rotation is a playbook run like a wizard (`--check`, `--json`, the recap):
create the new credential, verify it alone, store it, revoke the old one, record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from glassdome.commands.setup import builtin_playbook
from glassdome.ui.console import Terminal
from glassdome.ui.redact import Redactor

__all__ = ["ROTATIONS", "run_rotation"]

ROTATIONS = {
    "proxmox": "the Proxmox VE API token (a new token with the same ACL, then the old one goes)",
    "aws": "the AWS access key (a second key, checked with STS, then the old one goes)",
    "azure": "the Azure client secret (a new one on the same application, then the old one goes)",
}


def run_rotation(
    term: Terminal,
    redactor: Redactor,
    name: str,
    *,
    instance: str | None = None,
    sets: Sequence[str] = (),
    **options: Any,
) -> int:
    """Run one rotation playbook with `glassdome play` options (*instance*: ``--set instance=``)."""
    from glassdome.commands.play import play

    given = [*sets, f"instance={instance}"] if instance is not None else list(sets)
    return play(
        term, redactor, builtin_playbook("rotate", name, tuple(ROTATIONS)), sets=given, **options
    )
