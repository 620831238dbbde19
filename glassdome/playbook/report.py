"""What a run shows: Rich progress and a recap table, or JSON Lines for scripts."""

from __future__ import annotations

from typing import Any, Protocol

from rich.markup import escape
from rich.text import Text

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
        self._term.write_json(event)

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
            title = f"{step.id} - {step.name}" if step.name else step.id
            self._status = self._term.err.status(Text(f"{title} ({step.uses})"))
            self._status.start()

    def _stop_status(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _status_text(self, event: StepEvent) -> Text:
        status = "would change" if self._check and event.status == "changed" else event.status
        return Text(status, style=_STYLE[event.status])

    def step_done(self, event: StepEvent) -> None:
        """One line: status, id, type, duration, message."""
        self._stop_status()
        # Built as Text, never markup: messages carry rendered templates and error text.
        line = self._status_text(event)
        line.pad_right(12 - len(line))
        line.append(f" {event.id} - {event.name} " if event.name else f" {event.id} ")
        line.append(f"({event.uses}, {event.duration:.2f}s)", style="dim")
        if event.ignored:
            line.append(" (ignored)", style="dim")
        if event.message:
            line.append(f"  {event.message}", style="dim")
        self._console.print(line, highlight=False)

    def finish(self, recap: Recap) -> None:
        """The recap table with totals."""
        from rich.table import Table

        self._stop_status()
        table = Table(
            title="RECAP" + (" (check mode)" if self._check else ""), title_justify="left"
        )
        # One row whose cells hold a line per step: Rich lays out four cells instead of
        # four per step (a 200-step recap renders in a fraction of the time). No cell
        # wraps, so each line stays beside its neighbours; in a narrow terminal the step
        # and type columns are shortened with an ellipsis, never status or duration.
        statuses = [self._status_text(event) for event in recap.events]
        durations = [Text(f"{event.duration:.2f}s") for event in recap.events]
        table.add_column("step", no_wrap=True, overflow="ellipsis")
        named = any(event.name for event in recap.events)
        if named:
            table.add_column("name", no_wrap=True, overflow="ellipsis")
        for name, cells in (
            ("uses", [event.uses for event in recap.events]),
            ("status", [status.plain for status in statuses]),
        ):
            table.add_column(name, no_wrap=True, min_width=max(map(len, [name, *cells])))
        table.add_column("duration", justify="right", no_wrap=True, min_width=len("duration"))
        if recap.events:
            lines = Text("\n")
            # One line per step: a multi-line name (YAML `|`) must not push the rows apart.
            one_line = [" ".join((event.name or "").split()) for event in recap.events]
            names = [lines.join(Text(name) for name in one_line)] if named else []
            table.add_row(
                lines.join(Text(event.id) for event in recap.events),
                *names,
                lines.join(Text(event.uses) for event in recap.events),
                lines.join(statuses),
                lines.join(durations),
            )
        totals = "  ".join(f"{s}={recap.count(s)}" for s in STATUSES)
        table.caption = totals + (f"  ignored={recap.ignored}" if recap.ignored else "")
        self._console.print(table)
        if recap.stopped_at:
            self._console.print(
                f"[bold red]Stopped at step {recap.stopped_at}.[/] "
                "Steps before it kept what they stored."
            )
