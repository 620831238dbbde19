"""The built-in playbooks: the checkout's ``playbooks/``, else the copy installed in the wheel.

`glassdome play`, `playbook list|validate`, `setup` and `rotate` find them by name
(``setup/proxmox``, ``setup/proxmox.yml``, ``rotate/aws``; a bare ``proxmox`` is the
wizard ``setup/proxmox``) after local paths, so the
wizards work from an installed package as they do from a checkout.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from glassdome.errors import UsageError

__all__ = ["builtin_playbook", "builtin_playbooks", "builtin_roots", "resolve_playbook"]

_PACKAGE = Path(__file__).resolve().parent.parent
_SUFFIXES = (".yml", ".yaml")
WIZARD_KIND = "setup"  # the folder a bare name is looked up in


def builtin_roots() -> list[Path]:
    """The folders holding built-in playbooks, the checkout's first (those that exist)."""
    roots = (_PACKAGE.parent / "playbooks", _PACKAGE / "_playbooks")
    return [root for root in roots if root.is_dir()]


def _builtin(name: str) -> Path | None:
    """``KIND/NAME`` or ``KIND/NAME.yml`` among the built-in playbooks, or None.

    A bare ``NAME`` is the wizard ``setup/NAME``: `glassdome play proxmox` sets up Proxmox.
    """
    relative = PurePosixPath(name.replace("\\", "/"))
    if len(relative.parts) == 1 and not relative.is_absolute():
        relative = PurePosixPath(WIZARD_KIND) / relative
    if relative.is_absolute() or ".." in relative.parts or len(relative.parts) != 2:
        return None
    candidates = [relative] if relative.suffix in _SUFFIXES else []
    candidates += [relative.with_name(relative.name + suffix) for suffix in _SUFFIXES]
    for root in builtin_roots():
        for candidate in candidates:
            path = root.joinpath(*candidate.parts)
            if path.is_file():
                return path
    return None


def resolve_playbook(path: Path | str) -> Path:
    """A local file at *path*, else the built-in playbook of that name; else a usage error."""
    given = Path(path)
    if given.exists():
        return given
    found = _builtin(str(path))
    if found is not None:
        return found
    names = ", ".join(name for name, _ in builtin_playbooks()) or "none installed"
    raise UsageError(
        f"{path}: no such playbook here, nor a built-in one (built-in: {names}); "
        "give a playbook file or a built-in name such as setup/proxmox"
    )


def builtin_playbooks() -> list[tuple[str, Path]]:
    """Every built-in playbook as (``KIND/NAME``, path), the checkout's copy first."""
    found: dict[str, Path] = {}
    for root in builtin_roots():
        for path in sorted(root.glob("*/*.y*ml")):
            if path.suffix in _SUFFIXES:
                found.setdefault(f"{path.parent.name}/{path.stem}", path)
    return sorted(found.items())


def builtin_playbook(kind: str, name: str, known: Sequence[str]) -> Path:
    """``playbooks/KIND/NAME.yml``: the checkout's, else the copy installed with the package."""
    if name not in known:
        raise UsageError(f"no {kind} playbook {name!r}; there are: {', '.join(known)}")
    path = _builtin(f"{kind}/{name}")
    if path is None:
        raise UsageError(
            f"the {kind} playbook {name} is not installed (playbooks/{kind}/{name}.yml)"
        )
    return path
