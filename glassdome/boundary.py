"""The one place an error becomes a line on stderr and an exit code.

`glassdome ...`, the invoke tasks and the scripts all run through `guarded` (by way
of `glassdome.cli.main`). It wraps the command's output in redaction, so whatever
is registered as secret while the command runs is masked in everything it prints,
this error line and a ``GLASSDOME_DEBUG=1`` traceback included. Each
`GlassdomeError` names its exit code (`GlassdomeError.exit_code`); anything else
ends with 1, and an interrupt with 130.
"""

from __future__ import annotations

import errno
import sys
import traceback
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from typing import TextIO, cast

from glassdome.errors import GlassdomeError, debug_enabled
from glassdome.ui.console import Terminal
from glassdome.ui.redact import RedactingStream, Redactor

__all__ = ["EXIT_FAILURE", "EXIT_INTERRUPTED", "describe", "exit_code", "guarded"]

EXIT_FAILURE, EXIT_INTERRUPTED = 1, 130


def exit_code(exc: BaseException) -> int:
    """The exit code a command ends with when *exc* ends it."""
    if isinstance(exc, GlassdomeError):
        return exc.exit_code
    return EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_FAILURE


def describe(exc: BaseException, *, debug: bool = False) -> str:
    """*exc* as the one line after ``glassdome: error:`` (the message, or what happened)."""
    if isinstance(exc, GlassdomeError):
        return str(exc)
    if isinstance(exc, OSError):
        # Disk full, permission denied, a symlink refused (O_NOFOLLOW): the file and the
        # cause, not a traceback.
        return _describe_os_error(exc)
    if isinstance(exc, RecursionError):
        return (
            "the input is nested too deeply to process (RecursionError); "
            "GLASSDOME_DEBUG=1 shows where"
        )
    hint = "" if debug else " (GLASSDOME_DEBUG=1 shows where)"
    return f"unexpected {type(exc).__name__}: {exc}{hint}"


def _describe_os_error(exc: OSError) -> str:
    """``PATH: cause (ERRNO)`` on one line, e.g. ``/x/secrets.lock: Too many ... (ELOOP)``."""
    cause = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno is not None and exc.errno in errno.errorcode:
        cause = f"{cause} ({errno.errorcode[exc.errno]})"
    if exc.filename is None:
        return f"{cause} (the file was not named; GLASSDOME_DEBUG=1 shows where)"
    where = str(exc.filename)
    if exc.filename2 is not None:
        where = f"{where} -> {exc.filename2}"
    return f"{where}: {cause}"


def guarded(action: Callable[[Terminal, Redactor], int], term: Terminal | None = None) -> int:
    """Run *action* the way every glassdome command runs; return its exit code.

    *action* gets a terminal over *term*'s streams (default: the process's) that masks
    every value registered with the redactor it also gets; ``sys.stdout`` and
    ``sys.stderr`` are masked the same way while it runs. An error ends the command
    with one line, ``glassdome: error: ...``, and its exit code; ``GLASSDOME_DEBUG=1``
    adds the traceback (masked too) and keeps the code.
    """
    term = Terminal() if term is None else term
    redactor = Redactor()
    out = RedactingStream(term.stdout, redactor)
    err = RedactingStream(term.stderr, redactor)
    # A masking stream is a text stream in every way the terminal and Rich use one.
    safe = Terminal(term.stdin, cast(TextIO, out), cast(TextIO, err), term.env)
    with redirect_stdout(cast(TextIO, out)), redirect_stderr(cast(TextIO, err)):
        try:
            return action(safe, redactor)
        except KeyboardInterrupt:
            err.write("glassdome: interrupted; nothing more was changed\n")
            return EXIT_INTERRUPTED
        except Exception as exc:  # noqa: BLE001 - the boundary: every error ends as one line
            debug = debug_enabled(term.env)
            err.write(f"glassdome: error: {describe(exc, debug=debug)}\n")
            if debug:
                traceback.print_exc(file=sys.stderr)  # not `raise`: the exit code stays
            return exit_code(exc)
