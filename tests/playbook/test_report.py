"""The human report: one line per step, then a recap whose rows stay together at any width."""

from __future__ import annotations

import io

import pytest

from glassdome.playbook.report import HumanReport
from glassdome.playbook.runner import Recap, StepEvent
from glassdome.ui.console import Terminal

EVENTS = [
    StepEvent("store_token", "secret.set", "changed", 0.012, ""),
    StepEvent("a", "assert", "ok", 0.0, ""),
    StepEvent("a_rather_long_step_identifier_indeed", "config.set", "skipped", 1.5, ""),
    StepEvent("check_api", "http.check", "failed", 0.25, "HTTP 500", ignored=True),
]
STATUS_WORDS = ("would change", "changed", "ok", "skipped", "failed")


def _report(width: int, *, check: bool = False) -> str:
    out = io.StringIO()
    term = Terminal(stdin=io.StringIO(), stdout=out, stderr=io.StringIO(), env={})
    term.out.width = width
    report = HumanReport(term)
    report.start("demo", check=check)
    for event in EVENTS:
        report.step_done(event)
    report.finish(Recap(events=list(EVENTS)))
    return out.getvalue()


def _recap_rows(text: str) -> list[str]:
    body = text.split("RECAP", 1)[1].splitlines()
    return [line for line in body if line.startswith("│")]


@pytest.mark.parametrize("width", [120, 60, 44])
def test_each_recap_row_holds_its_own_step_status_and_duration(width: int):
    rows = _recap_rows(_report(width))
    assert len(rows) == len(EVENTS)
    for row, event in zip(rows, EVENTS, strict=True):
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        assert event.id.startswith(cells[0].rstrip("…"))
        assert cells[2] == event.status
        assert cells[3] == f"{event.duration:.2f}s"


def test_check_mode_says_would_change_in_lines_and_recap():
    text = _report(120, check=True)
    assert text.splitlines()[1].startswith("would change store_token (secret.set, 0.01s)")
    assert "│ would change │" in _recap_rows(text)[0]


def test_step_line_shows_ignored_and_the_message_and_the_totals_follow_the_table():
    text = _report(120)
    assert "failed       check_api (http.check, 0.25s) (ignored)  HTTP 500" in text
    assert "ok=1  changed=1  skipped=1  failed=1  ignored=1" in text


def test_an_empty_run_prints_the_header_and_totals_only():
    out = io.StringIO()
    term = Terminal(stdin=io.StringIO(), stdout=out, stderr=io.StringIO(), env={})
    report = HumanReport(term)
    report.start("nothing", check=False)
    report.finish(Recap())
    assert _recap_rows(out.getvalue()) == []
    assert "ok=0  changed=0  skipped=0  failed=0" in out.getvalue()


def test_messages_are_printed_as_they_are_never_as_markup():
    out = io.StringIO()
    term = Terminal(stdin=io.StringIO(), stdout=out, stderr=io.StringIO(), env={})
    report = HumanReport(term)
    report.step_done(StepEvent("m", "message", "ok", 0.0, "[bold]not markup[/] [red]"))
    assert "[bold]not markup[/] [red]" in out.getvalue()


def test_a_step_name_is_shown_in_its_line_in_the_recap_and_in_json():
    named = StepEvent("store_token", "secret.set", "changed", 0.0, "", name="Store the API token")
    out = io.StringIO()
    term = Terminal(stdin=io.StringIO(), stdout=out, stderr=io.StringIO(), env={})
    report = HumanReport(term)
    report.step_done(named)
    report.step_done(EVENTS[1])
    report.finish(Recap(events=[named, EVENTS[1]]))
    text = out.getvalue()
    assert "changed      store_token - Store the API token (secret.set, 0.00s)" in text
    rows = _recap_rows(text)
    assert [cell.strip() for cell in rows[0].strip("│").split("│")][:2] == [
        "store_token",
        "Store the API token",
    ]
    assert [cell.strip() for cell in rows[1].strip("│").split("│")][:2] == ["a", ""]
    assert named.as_json()["name"] == "Store the API token"
    assert "name" not in EVENTS[1].as_json()


def test_a_multi_line_step_name_keeps_the_recap_rows_together():
    events = [
        StepEvent("first", "message", "ok", 0.0, "", name="Say\nhello\nthere"),
        StepEvent("second", "assert", "changed", 0.5, ""),
    ]
    out = io.StringIO()
    term = Terminal(stdin=io.StringIO(), stdout=out, stderr=io.StringIO(), env={})
    HumanReport(term).finish(Recap(events=events))
    rows = [[c.strip() for c in row.strip("│").split("│")] for row in _recap_rows(out.getvalue())]
    assert rows == [
        ["first", "Say hello there", "message", "ok", "0.00s"],
        ["second", "", "assert", "changed", "0.50s"],
    ]
