"""`glassdome.ui.progress.track`: a bar on a terminal, nothing anywhere else."""

from __future__ import annotations

import io
import os
import pty
import select

from glassdome.ui.console import Terminal
from glassdome.ui.progress import track


def test_no_bar_on_a_pipe() -> None:
    err = io.StringIO()
    term = Terminal(stdin=io.StringIO(), stdout=io.StringIO(), stderr=err, env={})
    assert list(track(term, ["a", "b", "c"], "Copying")) == ["a", "b", "c"]
    assert err.getvalue() == ""


def test_bar_on_a_terminal_unless_disabled() -> None:
    leader, follower = pty.openpty()
    try:
        with open(follower, "w", closefd=False) as stream:
            term = Terminal(stdin=io.StringIO(), stdout=io.StringIO(), stderr=stream, env={})
            assert list(track(term, range(3), "Copying", enabled=False)) == [0, 1, 2]
            stream.flush()
            os.set_blocking(leader, False)
            try:
                quiet = os.read(leader, 65536)
            except BlockingIOError:
                quiet = b""
            assert quiet == b""
            assert list(track(term, range(3), "Copying")) == [0, 1, 2]
            stream.flush()
            shown = os.read(leader, 65536)
        assert b"Copying" in shown
    finally:
        os.close(leader)
        os.close(follower)


def test_the_first_item_is_handled_before_the_bar_is_drawn(monkeypatch) -> None:
    """Where the first item opens a store that asks for a password, no bar is drawn over it."""
    monkeypatch.setenv("TERM", "xterm-256color")  # Rich draws no bar on a dumb terminal
    leader, follower = pty.openpty()

    def bar_drawn() -> bool:
        """Whether the bar reaches the terminal within a moment (several of its refreshes)."""
        shown = b""
        while b"Comparing" not in shown:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if not ready:
                return False
            shown += os.read(leader, 65536)
        return True

    try:
        # Unbuffered: whatever Rich's refresh thread writes reaches the terminal at once.
        raw = io.FileIO(follower, "w", closefd=False)
        with io.TextIOWrapper(raw, encoding="utf-8", write_through=True) as stream:
            term = Terminal(stdin=io.StringIO(), stdout=io.StringIO(), stderr=stream, env={})
            seen = [(item, bar_drawn()) for item in track(term, "abc", "Comparing")]
        assert seen[0] == ("a", False)
        assert seen[1] == ("b", True)
    finally:
        os.close(leader)
        os.close(follower)
