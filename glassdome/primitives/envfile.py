"""Reading and editing ``.env`` files with python-dotenv's own parser.

Values are read exactly as python-dotenv (and so pydantic-settings) reads them.
Edits keep every line they do not touch byte for byte and in order, and are
written atomically with the file's mode kept.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from glassdome.primitives.atomic import atomic_write, remove_stale_temps

__all__ = [
    "ENV_FILE_VARIABLE",
    "backup_path",
    "check_writable",
    "env_file_path",
    "read_values",
    "remove_keys",
    "set_values",
]

ENV_FILE_VARIABLE = "GLASSDOME_ENV_FILE"
_LOCK_TIMEOUT = 30.0  # seconds to wait for another glassdome editing the same file


def env_file_path(env: Mapping[str, str] | None = None) -> Path:
    """The ``.env`` file glassdome reads and writes: ``$GLASSDOME_ENV_FILE``, default ``./.env``."""
    env = os.environ if env is None else env
    return Path(env.get(ENV_FILE_VARIABLE) or ".env")


_LEADING_BLANK_LINES = re.compile(r"(?:[ \t]*(?:\r\n|\n|\r))*")
_EXPORT = re.compile(r"[ \t]*(?:export[ \t]+)?")


def read_values(path: Path) -> dict[str, str | None]:
    """Return the file's variables as python-dotenv reads them (``export``, quotes, multi-line)."""
    # Text mode, as python-dotenv opens a path itself (universal newlines).
    return _values(path.read_text(encoding="utf-8"))


def _values(text: str) -> dict[str, str | None]:
    """python-dotenv's reading of *text*; the same text is parsed once.

    A playbook checks the same ``.env`` before each ``config.set``: without this,
    every step would parse the whole file again. Text that interpolates (``$``)
    depends on the environment too, and is parsed every time.
    """
    if "$" in text:
        return _parse(text)
    return dict(_parse_cached(text))


def _parse(text: str) -> dict[str, str | None]:
    from dotenv import dotenv_values

    return dict(dotenv_values(stream=io.StringIO(text)))


@lru_cache(maxsize=8)
def _parse_cached(text: str) -> tuple[tuple[str, str | None], ...]:
    return tuple(_parse(text).items())


def backup_path(path: Path) -> Path:
    """Where the copy of *path* made before an edit goes (``.env`` -> ``.env.bak``)."""
    return path.with_name(path.name + ".bak")


def _read_text(path: Path) -> str:
    # Bytes, not text mode: line endings must survive untouched.
    return path.read_bytes().decode("utf-8")


class _Binding(NamedTuple):
    """One ``KEY=value`` of a file, cut where an edit may replace it."""

    key: str
    text: str  # the binding itself: from after its leading blank lines to before its line end
    ending: str  # its line ending as written, '' on a last line without one


def _splice(original: str, edit: Callable[[_Binding], str | None]) -> str:
    """*original* with each binding replaced by what *edit* returns for it (None: kept as is).

    The blank lines before a binding always stay; *edit* returns the rest, its line
    ending included. Comments, blank lines and lines python-dotenv cannot parse stay
    byte for byte.
    """
    from dotenv.parser import parse_stream

    pieces: list[str] = []
    for binding in parse_stream(io.StringIO(original, newline="")):
        whole = binding.original.string
        if binding.key is None:
            pieces.append(whole)
            continue
        lead = _LEADING_BLANK_LINES.match(whole)
        kept = lead.group(0) if lead else ""
        ending = next((e for e in ("\r\n", "\n", "\r") if whole.endswith(e)), "")
        text = whole[len(kept) : len(whole) - len(ending)]
        new = edit(_Binding(binding.key, text, ending))
        pieces.append(whole if new is None else kept + new)
    return "".join(pieces)


def remove_keys(
    path: Path, keys: Iterable[str], comment: Callable[[str], str], *, backup: bool = True
) -> list[str]:
    """Remove every binding of *keys* from *path*, leaving ``comment(key)`` in its place.

    Matching is case-insensitive. With *backup*, the file as it was is first
    saved to ``<name>.bak`` with mode 0600. Returns the keys actually removed.
    Read, edit and write happen under ``<name>.lock``, as in `set_values`.
    """
    with _locked(path):
        return _remove_keys(path, keys, comment, backup=backup)


def _remove_keys(
    path: Path, keys: Iterable[str], comment: Callable[[str], str], *, backup: bool
) -> list[str]:
    wanted = {k.upper() for k in keys}
    original = _read_text(path)
    removed: list[str] = []

    def edit(binding: _Binding) -> str | None:
        if binding.key.upper() not in wanted:
            return None
        if binding.key.upper() not in removed:
            removed.append(binding.key.upper())
        return comment(binding.key) + binding.ending

    result = _splice(original, edit)
    if not removed:
        return []
    if backup:
        atomic_write(backup_path(path), original.encode("utf-8"), mode=0o600)
    atomic_write(path, result.encode("utf-8"), mode=None)
    return removed


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE = re.compile(r"[A-Za-z0-9_./:@,+=%-]*")


def _quoted(value: str) -> str:
    r"""*value* as python-dotenv and a POSIX shell (``set -a; . ./.env``) both read it, literally.

    Bare when no character is special to either; else single quotes (literal in both,
    and python-dotenv decodes only ``\\`` and ``\'`` there); else double quotes,
    only for values without ``$`` or a backquote (which a shell expands there), with
    ``\`` and ``"`` escaped as both read them. Anything else raises `ValueError`
    (see `_unrepresentable`); interpolation (``${...}``) is checked by reading back.
    """
    why = _unrepresentable(value)
    if why:
        raise ValueError(why)
    if _BARE.fullmatch(value):
        return value
    if "'" not in value and not _SINGLE_QUOTE_DECODES.search(value):
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


# In single quotes python-dotenv turns \\ and \' into one character, and a final \
# would escape the closing quote.
_SINGLE_QUOTE_DECODES = re.compile(r"\\\\|\\'|\\\Z")


def _unrepresentable(value: str) -> str:
    """Why *value* cannot be written so python-dotenv and a shell read it alike ('' if it can)."""
    if "\0" in value:
        return "a NUL character cannot be held in an environment variable"
    if "\r" in value:
        return (
            "a carriage return is read as a newline by python-dotenv (text mode) "
            "but kept by a shell"
        )
    if any("\ud800" <= c <= "\udfff" for c in value):
        return "a lone surrogate cannot be written as UTF-8"
    if "'" not in value and not _SINGLE_QUOTE_DECODES.search(value):
        return ""  # single quotes, or bare
    if "$" in value or "`" in value:
        return (
            "a value with $ or ` and also a single quote or backslash escape cannot be "
            "quoted so that python-dotenv and a shell both read it literally"
        )
    if value.endswith("\\") and _misreads_final_backslash():
        return (
            f"python-dotenv {_dotenv_version()} misreads a quoted value ending in a backslash; "
            "upgrade it (pip install -U python-dotenv) or choose a value that does not end in \\"
        )
    return ""


@lru_cache(maxsize=1)
def _misreads_final_backslash() -> bool:
    r"""Whether the installed python-dotenv reads an escaped backslash before a closing quote wrong.

    Before 1.2.3 it took the ``\"`` of ``A="x\\"`` for an escaped quote, so the
    value ran on to the next ``"`` in the file (1.2.3 fixed that).
    """
    return _parse('A="\\\\"\nB="b"\n') != {"A": "\\", "B": "b"}


def _dotenv_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("python-dotenv")
    except PackageNotFoundError:  # pragma: no cover - imported, so installed
        return "(unknown version)"


def set_values(path: Path, values: Mapping[str, str]) -> list[str]:
    """Set *values* in the ``.env`` file at *path*; return the keys that changed.

    An existing binding is replaced where it stands (its leading blank lines and
    line ending kept); new keys are appended. Every other line stays byte for
    byte. The result is read back with python-dotenv before it is written, so a
    value dotenv would read differently (``${...}`` interpolation) is refused.
    Read, edit and write happen under ``<name>.lock``, so concurrent edits all land.
    """
    _check_keys(values)
    _check_representable(values)
    with _locked(path):
        return _set_values(path, values)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    from filelock import FileLock

    lock = FileLock(
        path.with_name(path.name + ".lock"),
        timeout=_LOCK_TIMEOUT,
        mode=0o600,
        preserve_lock_file=True,  # plain flock: removing a lock file races with its users
    )
    with lock:
        # A writer killed mid-write (SIGKILL: no cleanup ran) left its temp file,
        # which may hold every secret the file held: no other writer runs now.
        remove_stale_temps(path)
        yield


def _set_values(path: Path, values: Mapping[str, str]) -> list[str]:
    try:
        original = _read_text(path)
    except FileNotFoundError:
        original = ""
    current = _values(original)
    changed = [k for k, v in values.items() if current.get(k) != v]
    if not changed:
        return []
    written: set[str] = set()

    def edit(binding: _Binding) -> str | None:
        if binding.key not in changed:
            return None
        if binding.key in written:
            return ""  # a repeated binding: one assignment is enough
        written.add(binding.key)
        # An `export ` prefix and indentation stay: the file may also be sourced by a shell.
        start = _EXPORT.match(binding.text)
        prefix = start.group(0) if start else ""
        ending = binding.ending or "\n"
        return f"{prefix}{binding.key}={_quoted(values[binding.key])}{ending}"

    result = _splice(original, edit)
    missing = [k for k in changed if k not in written]
    if missing:
        if result and not result.endswith(("\n", "\r")):
            result += "\n"
        result += "".join(f"{k}={_quoted(values[k])}\n" for k in missing)
    reread = _values(result)
    disturbed = [k for k, v in current.items() if k not in values and reread.get(k) != v]
    if disturbed:
        raise ValueError(
            f"{', '.join(disturbed)}: this edit would change how python-dotenv reads "
            "these existing lines; nothing was written (check their quoting)"
        )
    _refuse([k for k in changed if reread.get(k) != values[k]])
    atomic_write(path, result.encode("utf-8"), mode=None)
    return changed


def check_writable(values: Mapping[str, str]) -> None:
    """Raise `ValueError` if python-dotenv would read any of *values* back differently.

    What `set_values` would refuse, found without touching a file (for a check).
    """
    _check_keys(values)
    _check_representable(values)
    reread = _values("".join(f"{k}={_quoted(v)}\n" for k, v in values.items()))
    _refuse([k for k, v in values.items() if reread.get(k) != v])


def _check_keys(values: Mapping[str, str]) -> None:
    for key in values:
        if not _KEY.fullmatch(key):
            raise ValueError(f"{key!r} is not a valid .env variable name (letters, digits, _)")


def _check_representable(values: Mapping[str, str]) -> None:
    for key, value in values.items():
        why = _unrepresentable(value)
        if why:
            raise ValueError(f"{key}: not written to .env: {why}")


def _refuse(wrong: list[str]) -> None:
    if wrong:
        raise ValueError(
            f"{', '.join(wrong)}: python-dotenv would read the value back differently "
            "(it expands ${...}); choose a value without ${"
        )
