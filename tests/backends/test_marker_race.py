"""Two first writers under auto record one backend, and both write into it."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from glassdome.backends.base import Availability
from glassdome.core import selection
from glassdome.core.secrets import MARKER_FILE, SecretsManager


class FakeBackend:
    """An in-memory backend named like a built-in one."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[str, str] = {}

    def availability(self) -> Availability:
        return Availability(True, "fake")

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def set_many(self, items: Mapping[str, str]) -> None:
        self.values.update(items)

    def details(self) -> dict[str, str]:
        return {}


@pytest.mark.parametrize("round_", range(5))
def test_racing_first_writers_agree_on_one_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, round_: int
) -> None:
    home = tmp_path / "home"
    fakes = {"keyring": FakeBackend("keyring"), "file": FakeBackend("file")}
    monkeypatch.setattr(selection, "_builtin", lambda name: lambda context: fakes[name])
    managers = []
    for index in range(8):
        manager = SecretsManager(home, "auto", env={})
        # Half of them saw a usable keyring, half did not (a keyring unlocked meanwhile).
        manager._backend = fakes["keyring" if index % 2 else "file"]  # type: ignore[assignment]
        managers.append(manager)
    barrier = threading.Barrier(len(managers), timeout=10)
    errors: list[BaseException] = []

    def write(manager: SecretsManager, index: int) -> None:
        try:
            barrier.wait()
            manager.set_secret(f"name{index}", f"value{index}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(m, i), daemon=True) for i, m in enumerate(managers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    recorded = (home / MARKER_FILE).read_text(encoding="utf-8")
    assert recorded in ("keyring\n", "file\n")
    winner = recorded.strip()
    loser = "file" if winner == "keyring" else "keyring"
    assert len(fakes[winner].values) == len(managers)
    assert fakes[loser].values == {}
    assert (home / MARKER_FILE).stat().st_mode & 0o777 == 0o600
    assert [p.name for p in home.iterdir()] == [MARKER_FILE]  # no temp file left
