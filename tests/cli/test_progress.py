"""`glassdome.ui.progress.track`: a bar on a terminal, nothing anywhere else."""

from __future__ import annotations

import io
import os
import pty

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
