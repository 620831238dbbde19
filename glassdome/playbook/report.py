"""What a run shows: Rich progress and a recap table, or JSON Lines for scripts."""

from __future__ import annotations

import json
from typing import Any, Protocol

from rich.markup import escape

from glassdome.playbook.model import StepSpec
from glassdome.playbook.runner import STATUSES, Recap, StepEvent
from glassdome.ui.console import Terminal

__all__ = ["HumanReport", "JsonReport", "Report"]

_STYLE = {"ok": "green", "changed": "yellow", "skipped": "cyan", "failed": "bold red"}


class Report(Protocol):
    """Receives the run's events."""

    def start(self, name: str, *, check: bool) -> None:
        """The playbook starts."""
        ...

    def step_started(self, step: StepSpec) -> None:
        """A step starts running."""
        ...

    def step_done(self, event: StepEvent) -> None:
        """A step ended (or was skipped)."""
        ...

    def finish(self, recap: Recap) -> None:
        """The run ended."""
        ...


class JsonReport:
    """JSON Lines on stdout: ``start``, one ``step`` per step, ``recap``."""

    def __init__(self, term: Terminal) -> None:
        self._term = term

    def _emit(self, event: dict[str, Any]) -> None:
        self._term.stdout.write(json.dumps(event) + "\n")
        self._term.stdout.flush()

    def start(self, name: str, *, check: bool) -> None:
        """Emit ``start``."""
        self._emit({"event": "start", "playbook": name, "check": check})

    def step_started(self, step: StepSpec) -> None:
        """Nothing: a step event is emitted when it ends."""

    def step_done(self, event: StepEvent) -> None:
        """Emit ``step``."""
        self._emit(event.as_json())

    def finish(self, recap: Recap) -> None:
        """Emit ``recap``."""
        self._emit(recap.as_json())


class HumanReport:
    """A line per finished step (a spinner while one runs, on a terminal), then a recap table."""

    def __init__(self, term: Terminal, *, to_stderr: bool = False) -> None:
        self._term = term
        self._console = term.err if to_stderr else term.out
        self._status: Any = None
        self._check = False

    def start(self, name: str, *, check: bool) -> None:
        """Say which playbook runs, and whether in check mode."""
        self._check = check
        mode = " [dim](check mode: nothing will be changed)[/]" if check else ""
        self._console.print(f"[bold]PLAY[/] {escape(name)}{mode}")

    def step_started(self, step: StepSpec) -> None:
        """Show a spinner while the step runs (terminals only)."""
        # The spinner is talk, so it lives on stderr: the same console that steps warn on,
        # which Rich then keeps apart from the spinner line.
        self._stop_status()
        if self._term.err.is_terminal and step.uses != "ask":  # no spinner over a question
            self._status = self._term.err.status(f"{step.id} ({step.uses})")
            self._status.start()

    def _stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def step_done(self, event: StepEvent) -> None:
        """One line: status, id, type, duration, message."""
        self._stop_status()
        style = _STYLE[event.status]
        status = "would change" if self._check and event.status == "changed" else event.status
        ignored = " [dim](ignored)[/]" if event.ignored else ""
        # Messages carry rendered templates and error text: never Rich markup.
        message = f"  [dim]{escape(event.message)}[/]" if event.message else ""
        self._console.print(
            f"[{style}]{status:<12}[/] {event.id} [dim]({event.uses}, {event.duration:.2f}s)[/]"
            f"{ignored}{message}",
            markup=True,
            highlight=False,
        )

    def finish(self, recap: Recap) -> None:
        """The recap table with totals."""
        from rich.table import Table

        self._stop_status()
        table = Table(
            title="RECAP" + (" (check mode)" if self._check else ""), title_justify="left"
        )
        table.add_column("step")
        table.add_column("uses")
        table.add_column("status")
        table.add_column("duration", justify="right")
        for event in recap.events:
            status = "would change" if self._check and event.status == "changed" else event.status
            table.add_row(
                event.id,
                event.uses,
                f"[{_STYLE[event.status]}]{status}[/]",
                f"{event.duration:.2f}s",
            )
        totals = "  ".join(f"{s}={recap.count(s)}" for s in STATUSES)
        table.caption = totals + (f"  ignored={recap.ignored}" if recap.ignored else "")
        self._console.print(table)
        if recap.stopped_at:
            self._console.print(
                f"[bold red]Stopped at step {recap.stopped_at}.[/] "
                "Steps before it kept what they stored."
            )
