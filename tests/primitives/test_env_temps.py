"""Rewriting .env (migrate --scrub, config.set) leaves no plaintext temp file behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.commands.doctor import diagnose
from glassdome.core.secrets import SecretsManager
from glassdome.primitives import atomic
from glassdome.primitives.envfile import remove_keys, set_values

SECRET = "scrub-me-plaintext-8d1"


def _env(tmp_path: Path) -> Path:
    env = tmp_path / ".env"
    env.write_text(f"PROXMOX_HOST=pve\nPROXMOX_PASSWORD={SECRET}\nOTHER=1\n", "utf-8")
    env.chmod(0o644)
    return env


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_an_interrupted_scrub_leaves_no_temp_and_temps_are_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(tmp_path)
    modes: list[int] = []
    real = atomic._write_new

    def write_then_interrupt(path: Path, data: bytes, mode: int) -> None:
        real(path, data, mode)
        modes.append(path.stat().st_mode & 0o777)
        if path.name.startswith("..env.") and not path.name.startswith("..env.bak"):
            raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "_write_new", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        remove_keys(env, ["PROXMOX_PASSWORD"], lambda key: f"# {key} moved")
    assert modes
    assert all(mode == 0o600 for mode in modes)
    assert _temps(tmp_path) == []
    assert SECRET in env.read_text("utf-8")  # the file itself is untouched
    assert env.stat().st_mode & 0o777 == 0o644


def test_the_final_file_keeps_its_mode(tmp_path: Path) -> None:
    env = _env(tmp_path)
    remove_keys(env, ["PROXMOX_PASSWORD"], lambda key: f"# {key} moved")
    assert env.stat().st_mode & 0o777 == 0o644
    assert SECRET not in env.read_text("utf-8")


@pytest.mark.parametrize("edit", ["scrub", "set"])
def test_a_temp_left_by_a_killed_writer_is_removed_by_the_next_edit(
    tmp_path: Path, edit: str
) -> None:
    env = _env(tmp_path)
    stale = tmp_path / "..env.0123456789ab.tmp"
    stale.write_text(env.read_text("utf-8"), "utf-8")
    stale_backup = tmp_path / "..env.bak.0123456789ab.tmp"
    stale_backup.write_text(env.read_text("utf-8"), "utf-8")
    if edit == "scrub":
        remove_keys(env, ["PROXMOX_PASSWORD"], lambda key: f"# {key} moved")
    else:
        set_values(env, {"OTHER": "2"})
    assert _temps(tmp_path) == []


def test_doctor_names_a_leftover_temp(tmp_path: Path) -> None:
    env = _env(tmp_path)
    stale = tmp_path / "..env.0123456789ab.tmp"
    stale.write_text(env.read_text("utf-8"), "utf-8")
    manager = SecretsManager(tmp_path / "home", "file", env={})
    checks = [c for c in diagnose(manager, env) if str(stale) in c.detail]
    assert len(checks) == 1
    assert checks[0].status == "attention"
    assert SECRET not in checks[0].detail
