"""The contract every secret backend passes: through `SecretsManager`, and on the backend itself.

Subclass `BackendContract`, name the backend, point it at an empty store in an
autouse fixture that sets `home` (or override `make_manager`), and the backend
proves itself by passing every test here. The ``test_backend_*`` tests call the
`SecretBackend` methods directly, with names and values as the facade hands them
over (valid, lower-cased, checked), the way keyring's ``BackendBasicTests`` do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.backends.base import (
    MARKER_FILE,
    Availability,
    SecretBackend,
    SupportsHealthChecks,
    SupportsLocalFiles,
)
from glassdome.core.secrets import SecretsManager
from glassdome.errors import InvalidSecretName, InvalidSecretValue
from glassdome.primitives.names import MAX_VALUE_BYTES
from tests.threads import run_in_threads

CANARY = "contract-canary-7c1e-value"


class BackendContract:
    backend_name: str = ""
    home: Path

    @pytest.fixture
    def manager(self) -> SecretsManager:
        return self.make_manager()

    def make_manager(self) -> SecretsManager:
        """Return a new manager (own caches) over the same backing store as every other call."""
        return SecretsManager(home=self.home, backend=self.backend_name)

    def make_backend(self) -> SecretBackend:
        """Return a new backend object (own caches) over the same backing store, as selected."""
        return self.make_manager().backend

    @pytest.fixture
    def backend(self) -> SecretBackend:
        return self.make_backend()

    def test_selected_backend_is_the_one_under_test(self, manager: SecretsManager) -> None:
        assert manager.backend_name == self.backend_name

    def test_missing_name_reads_as_none(self, manager: SecretsManager) -> None:
        assert manager.get_secret("never_set") is None

    def test_set_then_get_round_trips(self, manager: SecretsManager) -> None:
        manager.set_secret("proxmox_password", "s3cret-value")
        assert manager.get_secret("proxmox_password") == "s3cret-value"
        assert self.make_manager().get_secret("proxmox_password") == "s3cret-value"

    def test_set_replaces_previous_value(self, manager: SecretsManager) -> None:
        manager.set_secret("token", "first")
        manager.set_secret("token", "second")
        assert self.make_manager().get_secret("token") == "second"

    def test_delete_reports_whether_it_existed(self, manager: SecretsManager) -> None:
        manager.set_secret("gone", "value")
        assert manager.delete_secret("gone") is True
        assert manager.get_secret("gone") is None
        assert manager.delete_secret("gone") is False
        assert "gone" not in self.make_manager().list_secrets()

    def test_list_is_sorted_names_only(self, manager: SecretsManager) -> None:
        manager.set_secret("zeta", "value-z")
        manager.set_secret("alpha", "value-a")
        names = self.make_manager().list_secrets()
        assert names == sorted(names)
        assert {"alpha", "zeta"} <= set(names)
        assert "value-a" not in names

    def test_set_many_stores_everything(self, manager: SecretsManager) -> None:
        items = {f"batch_{i:02d}": f"value-{i}" for i in range(20)}
        manager.set_many(items)
        other = self.make_manager()
        assert {name: other.get_secret(name) for name in items} == items
        assert set(items) <= set(other.list_secrets())

    def test_names_are_lower_cased(self, manager: SecretsManager) -> None:
        manager.set_secret("Azure_Client_Secret", "value")
        assert manager.get_secret("azure_client_secret") == "value"
        assert "azure_client_secret" in manager.list_secrets()

    @pytest.mark.parametrize("bad", ["", "_hidden", "has space", "x" * 129, "slash/name", "ümlaut"])
    def test_invalid_names_are_refused_and_store_nothing(
        self, manager: SecretsManager, bad: str
    ) -> None:
        with pytest.raises(InvalidSecretName, match=r"\[a-z0-9\]"):
            manager.set_secret(bad, "value")
        assert manager.list_secrets() == []

    def test_unicode_values_round_trip(self, manager: SecretsManager) -> None:
        value = "pässwörd-密码-🔑-\n-tab\t-end"
        manager.set_secret("unicode", value)
        assert self.make_manager().get_secret("unicode") == value

    def test_largest_value_round_trips(self, manager: SecretsManager) -> None:
        value = "x" * (MAX_VALUE_BYTES - 4) + "🔑"  # exactly 64 KiB of UTF-8
        assert len(value.encode()) == MAX_VALUE_BYTES
        manager.set_secret("large", value)
        assert self.make_manager().get_secret("large") == value

    def test_oversized_and_empty_values_are_refused(self, manager: SecretsManager) -> None:
        with pytest.raises(InvalidSecretValue, match="65536"):
            manager.set_secret("large", "x" * (MAX_VALUE_BYTES + 1))
        with pytest.raises(InvalidSecretValue, match="empty"):
            manager.set_secret("empty", "")
        assert manager.list_secrets() == []

    def test_set_many_checks_everything_before_storing_anything(
        self, manager: SecretsManager
    ) -> None:
        with pytest.raises(InvalidSecretValue):
            manager.set_many({"good": "value", "bad": ""})
        assert manager.get_secret("good") is None

    def test_concurrent_writers_lose_nothing(self, manager: SecretsManager) -> None:
        manager.set_secret("seed", "value")  # creates the store before the race

        def writer(worker: int) -> None:
            own = self.make_manager()
            for i in range(5):
                own.set_secret(f"w{worker}_{i}", f"value-{worker}-{i}")

        run_in_threads(writer, [(w,) for w in range(4)])
        final = self.make_manager()
        expected = {f"w{w}_{i}" for w in range(4) for i in range(5)}
        assert expected <= set(final.list_secrets())
        assert all(
            final.get_secret(f"w{w}_{i}") == f"value-{w}-{i}" for w in range(4) for i in range(5)
        )

    # -- the backend object itself ----------------------------------------------

    def test_backend_fulfils_the_protocol_and_says_why_it_is_available(
        self, backend: SecretBackend
    ) -> None:
        assert isinstance(backend, SecretBackend)
        assert backend.name == self.backend_name
        state = backend.availability()
        assert isinstance(state, Availability)
        assert state.available is True
        assert state.reason

    def test_backend_missing_name_reads_as_none(self, backend: SecretBackend) -> None:
        assert backend.get("never_set") is None

    def test_backend_set_then_get_round_trips(self, backend: SecretBackend) -> None:
        backend.set("proxmox_password", CANARY)
        assert backend.get("proxmox_password") == CANARY
        assert self.make_backend().get("proxmox_password") == CANARY

    def test_backend_set_replaces_previous_value(self, backend: SecretBackend) -> None:
        backend.set("token", "first")
        backend.set("token", "second")
        assert backend.get("token") == "second"
        assert self.make_backend().get("token") == "second"

    def test_backend_delete_reports_whether_it_existed(self, backend: SecretBackend) -> None:
        backend.set("gone", "value")
        backend.set("kept", "value")
        assert backend.delete("gone") is True
        assert backend.get("gone") is None
        assert backend.delete("gone") is False
        assert backend.delete("never_set") is False
        fresh = self.make_backend()
        assert fresh.get("gone") is None
        assert "gone" not in fresh.names()
        assert fresh.get("kept") == "value"

    def test_backend_names_are_sorted_and_only_names(self, backend: SecretBackend) -> None:
        assert backend.names() == []
        for name in ("zeta", "alpha", "mid.dle-name"):
            backend.set(name, f"value-of-{name}")
        assert backend.names() == ["alpha", "mid.dle-name", "zeta"]
        assert self.make_backend().names() == ["alpha", "mid.dle-name", "zeta"]

    def test_backend_set_many_stores_everything(self, backend: SecretBackend) -> None:
        backend.set("batch_00", "old value")
        items = {f"batch_{i:02d}": f"value-{i}" for i in range(25)}  # past aws's list threshold
        backend.set_many(items)
        fresh = self.make_backend()
        assert {name: fresh.get(name) for name in items} == items
        assert fresh.names() == sorted(items)

    def test_backend_set_many_of_nothing_changes_nothing(self, backend: SecretBackend) -> None:
        backend.set("only", "value")
        backend.set_many({})
        assert self.make_backend().names() == ["only"]

    def test_backend_repr_and_details_never_show_a_value(self, backend: SecretBackend) -> None:
        backend.set("shown_nowhere", CANARY)
        assert backend.get("shown_nowhere") == CANARY
        details = backend.details()
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in details.items())
        for text in (repr(backend), repr(details), str(backend.availability())):
            assert CANARY not in text

    def test_backend_local_files_and_health_describe_the_store(
        self, backend: SecretBackend
    ) -> None:
        """Optional Protocols: a backend with files names every file it makes, and no value."""
        if isinstance(backend, SupportsLocalFiles):
            assert backend.holds_secrets() is False
            backend.set("local", CANARY)
            assert backend.holds_secrets() is True
            made = {path.name for path in self.home.iterdir()} - {MARKER_FILE}
            assert made <= {path.name for path in backend.store_files()}
            assert all(path.parent == self.home for path in backend.store_files())
        if isinstance(backend, SupportsHealthChecks):
            backend.set("checked", CANARY)
            for finding in backend.health_checks():
                assert finding.status in {"ok", "info", "attention"}
                assert CANARY not in finding.detail
