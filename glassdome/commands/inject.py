"""`glassdome secrets inject`: render a template's ``{{ secret('NAME') }}`` into a file or stdout.

A committed template (``terraform.tfvars.tmpl``) names the secrets; the rendered
file holds them and stays out of version control. The template is rendered by
the playbooks' sandboxed Jinja2 environment (`glassdome.playbook.template`) with
one function, ``secret()``: no settings, no environment, no inputs.

The output file is created 0600, complete or not at all
(`glassdome.primitives.atomic.exclusive_create`). An existing file is never
replaced without ``--force``: glassdome cannot tell a file it rendered before
from one it did not, so it refuses them all. With ``--force`` the file is
replaced atomically, 0600 whatever it was. A warning (no value in it) says when
the file is tracked by git or not ignored by it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from glassdome.core.secrets import SecretsManager, get_secrets_manager
from glassdome.errors import GlassdomeError, InvalidSecretName
from glassdome.primitives.names import normalize_name
from glassdome.ui.console import Terminal
from glassdome.ui.redact import Redactor

__all__ = ["git_warning", "inject", "render_template"]

_TEMPLATE_LIMIT = 1024 * 1024  # a template is a config file, not a disk image
_GIT_TIMEOUT = 10.0  # seconds for each git question


def _read_template(path: Path) -> str:
    try:
        with path.open("rb") as file:
            data = file.read(_TEMPLATE_LIMIT + 1)
    except OSError as exc:
        raise GlassdomeError(f"cannot read the template {path}: {exc.strerror}") from None
    if len(data) > _TEMPLATE_LIMIT:
        raise GlassdomeError(f"the template {path} is larger than 1 MiB; nothing was written")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise GlassdomeError(
            f"the template {path} is not UTF-8 text; nothing was written"
        ) from None


def _secret_function(
    template: Path, lookup: Callable[[str], str | None], read: list[str]
) -> Callable[[object], str]:
    """``secret('NAME')`` for the template: the stored value; every value read goes to *read*."""

    def secret(name: object) -> str:
        try:
            key = normalize_name(name)
        except InvalidSecretName as exc:
            raise GlassdomeError(f"{template}: secret(): {exc}; nothing was written") from None
        value = lookup(key)
        if value is None:
            if any(v in key for v in read):  # a name computed from a value is not quoted back
                raise GlassdomeError(
                    f"{template}: secret() got a name computed from a secret, and the store "
                    "holds no such secret; nothing was written"
                )
            raise GlassdomeError(
                f"{template}: no secret named {key!r}; store it (`glassdome secrets set {key}`) "
                "or correct the name; nothing was written"
            )
        read.append(value)
        return value

    return secret


def _safe_message(message: str, read: list[str]) -> str:
    """Jinja's message, unless it could quote a secret read so far."""
    redactor = Redactor()
    for value in read:
        redactor.add(value)
    masked = redactor.mask(message)
    if any(value in masked for value in read):  # a value too short to mask
        return (
            "the template failed after reading a secret (the error is not shown: it may quote it)"
        )
    return masked


def render_template(template: Path, lookup: Callable[[str], str | None]) -> str:
    """*template* rendered with ``secret()`` as its one function; errors name no value."""
    from jinja2 import TemplateError, TemplateSyntaxError

    from glassdome.playbook.template import environment

    source = _read_template(template)
    try:
        compiled = environment().from_string(source)
    except TemplateSyntaxError as exc:
        raise GlassdomeError(
            f"{template}:{exc.lineno}: {exc.message}; nothing was written"
        ) from None
    read: list[str] = []
    try:
        return compiled.render(secret=_secret_function(template, lookup, read))
    except GlassdomeError:
        raise
    except TemplateError as exc:
        detail = exc.message or type(exc).__name__
    except Exception as exc:  # noqa: BLE001  # a filter's TypeError may quote a value: masked
        detail = f"{type(exc).__name__}: {exc}"
    raise GlassdomeError(f"{template}: {_safe_message(detail, read)}; nothing was written")


def _git(term: Terminal, folder: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    git = shutil.which("git", path=term.env.get("PATH", os.defpath))
    if git is None:
        return None
    try:
        return subprocess.run(
            [git, "-C", str(folder), *args],
            env=dict(term.env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def git_warning(term: Terminal, path: Path) -> str | None:
    """What to warn about *path* in a git work tree: tracked, or not ignored; else None."""
    folder = path.absolute().parent
    inside = _git(term, folder, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.returncode != 0 or inside.stdout.strip() != b"true":
        return None
    tracked = _git(term, folder, "ls-files", "--error-unmatch", "--", path.name)
    if tracked is not None and tracked.returncode == 0:
        return (
            f"{path} is tracked by git, and now holds secrets: "
            f"`git rm --cached {path.name}` and add it to .gitignore before the next commit"
        )
    ignored = _git(term, folder, "check-ignore", "-q", "--", path.name)
    if ignored is not None and ignored.returncode == 1:
        return f"{path} is not ignored by git: add it to .gitignore so it is never committed"
    return None


def inject(
    term: Terminal,
    template: Path,
    *,
    output: Path | None = None,
    force: bool = False,
    manager: SecretsManager | None = None,
) -> int:
    """Render *template* to *output* (created 0600) or to stdout; write nothing on an error."""
    from glassdome.primitives.atomic import atomic_write, exclusive_create

    if output is not None and not force and output.exists():
        raise GlassdomeError(
            f"{output} exists; glassdome replaces a file only with --force "
            "(it cannot tell a file it wrote from one it did not); nothing was written"
        )
    manager = manager or get_secrets_manager(prompt=term)
    text = render_template(template, manager.get_secret)
    if output is None:
        if term.stdout_is_terminal:
            term.warn(f"printing the secrets {template} names on your terminal")
        term.stdout.write(text)
        term.stdout.flush()
        return 0
    data = text.encode("utf-8")
    if force:
        atomic_write(output, data, mode=0o600)
    elif not exclusive_create(output, data, mode=0o600):
        raise GlassdomeError(f"{output} appeared meanwhile; nothing was written (see --force)")
    term.say(f"Wrote {output} (mode 0600).")
    warning = git_warning(term, output)
    if warning is not None:
        term.warn(warning)
    return 0
