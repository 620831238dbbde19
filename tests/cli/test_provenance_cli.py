"""`secrets list --long`, `secrets show` and the source each write records, end to end.

Every run is the real CLI in a subprocess against a real file store; the copy
tests use a real OpenBao server, as tests/cli/test_copy.py does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from glassdome.backends.file_layout import KEY_FILE, STORE_FILE
from glassdome.commands.copy import carried_meta, plan_copy, run_copy
from glassdome.core.secrets import SecretsManager
from glassdome.primitives import crypto
from glassdome.primitives.meta import SecretMeta
from glassdome.primitives.sensitive import Sensitive

# Names imported `as` themselves are fixtures (of tests/backends), used here by name.
from tests.backends.openbao import OpenBao
from tests.backends.openbao import openbao as openbao
from tests.backends.remote import prefix as prefix
from tests.backends.remote import token_env as token_env
from tests.cli.runner import Cli, Result, one_error_line
from tests.conftest import PASSWORD
from tests.leaks import forms

TOKEN = "pve-token-canary-5f0d2c"
PVE = SecretMeta(
    platform="proxmox",
    identity={"host": "pve:8006", "token_id": "root@pam!glassdome"},
    expires="2027-03-01T12:00:00Z",
    verified="2026-12-01T08:15:00Z",
    last_check="ok",
)


def show(cli: Cli, name: str) -> dict[str, Any]:
    """``secrets show NAME --json`` as data."""
    result = cli("secrets", "show", name, "--json")
    assert result.code == 0, str(result)
    shown: dict[str, Any] = json.loads(result.out)
    return shown


def row(result: Result, name: str) -> list[str]:
    """The cells of *name*'s row in a ``list --long`` table."""
    line = next(line for line in result.out.splitlines() if f" {name} " in line)
    return [cell.strip() for cell in line.split("│")[1:-1]]


def assert_no_value(value: str, *results: Result) -> None:
    """*value* shows in no output of *results*, in any form of `tests.leaks.forms`."""
    for result in results:
        for kind, form in forms(value).items():
            assert form not in result.out + result.err, f"{kind}: {result}"


@pytest.fixture
def pve_token(cli: Cli, home: Path, password_env: str) -> Cli:
    """The store holds proxmox_token_value with PVE's record, and a value set by `secrets set`."""
    SecretsManager(home=home, backend="file").set_secret(
        "proxmox_token_value", TOKEN, meta=PVE, source="playbook:setup/proxmox.yml#token"
    )
    cli.set("plain_note", "plain-canary-value")
    return cli


def test_list_long_shows_platform_identity_and_dates_never_a_value(pve_token: Cli):
    result = pve_token("secrets", "list", "--long")
    assert result.code == 0, str(result)
    for header in ("name", "platform", "identity", "updated", "expires", "verified"):
        assert f" {header} " in result.out
    cells = row(result, "proxmox_token_value")
    assert cells[:3] == ["proxmox_token_value", "proxmox", "pve:8006 root@pam!glassdome"]
    assert cells[4:] == ["2027-03-01 12:00Z", "2026-12-01 08:15Z"]
    plain_cells = row(result, "plain_note")
    assert plain_cells[1:3] == ["", ""]  # set by hand: no platform, no identity
    assert plain_cells[3]  # but updated is known
    assert "secrets show NAME" in result.err
    assert_no_value(TOKEN, result)
    assert_no_value("plain-canary-value", result)


def test_list_json_keeps_its_keys_and_long_adds_every_record(pve_token: Cli):
    short = json.loads(pve_token("secrets", "list", "--json").out)
    assert short == {"backend": "file", "secrets": ["plain_note", "proxmox_token_value"]}
    result = pve_token("secrets", "list", "--long", "--json")
    assert result.code == 0, str(result)
    listed = json.loads(result.out)
    assert listed["backend"] == "file"
    assert listed["secrets"] == ["plain_note", "proxmox_token_value"]
    record = listed["records"]["proxmox_token_value"]
    assert record == {
        **PVE.as_record(),
        "created": record["created"],
        "updated": record["updated"],
        "source": "playbook:setup/proxmox.yml#token",
    }
    assert listed["records"]["plain_note"]["source"] == "cli"
    assert_no_value(TOKEN, result)


def test_show_prints_every_field_and_each_identity_key_on_its_line(pve_token: Cli):
    result = pve_token("secrets", "show", "proxmox_token_value")
    assert result.code == 0, str(result)
    lines = result.out.splitlines()
    assert lines[0] == "proxmox_token_value in the file backend"
    fields = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in lines[1:])
    assert fields["source"] == "playbook:setup/proxmox.yml#token"
    assert fields["platform"] == "proxmox"
    assert fields["identity.host"] == "pve:8006"
    assert fields["identity.token_id"] == "root@pam!glassdome"
    assert fields["expires"] == "2027-03-01T12:00:00Z"
    assert fields["verified"] == "2026-12-01T08:15:00Z"
    assert fields["last check"] == "ok"
    assert set(fields) == {
        "created",
        "updated",
        "source",
        "platform",
        "identity.host",
        "identity.token_id",
        "expires",
        "verified",
        "last check",
    }
    assert_no_value(TOKEN, result)


def test_show_json_is_the_record_without_the_value(pve_token: Cli):
    shown = show(pve_token, "Proxmox_Token_Value")
    assert shown["name"] == "proxmox_token_value"
    assert shown["backend"] == "file"
    assert shown["meta"]["identity"] == dict(PVE.identity)
    assert shown["meta"]["v"] == 1
    assert_no_value(TOKEN, pve_token("secrets", "show", "proxmox_token_value", "--json"))


def test_show_of_a_missing_name_is_one_line_naming_the_list_command(pve_token: Cli):
    for args in (("not_stored",), ("not_stored", "--json")):
        result = pve_token("secrets", "show", *args)
        assert result.code == 1, str(result)
        line = one_error_line(result)
        assert "not_stored" in line
        assert "`glassdome secrets list` shows the names" in line
        assert result.out == ""


def test_invoke_secrets_show_runs_the_same_command(pve_token: Cli):
    result = pve_token.invoke("secrets.show", "--name", "proxmox_token_value", "--json")
    assert result.code == 0, str(result)
    assert json.loads(result.out)["meta"]["platform"] == "proxmox"


def _drop_records(home: Path) -> None:
    """Rewrite the file store as a version without metadata wrote it (no ``meta`` key)."""
    key_file = crypto.parse_key_file((home / KEY_FILE).read_bytes(), KEY_FILE)
    key = crypto.unlock_key_file(key_file, Sensitive(PASSWORD))
    header, _, token = (home / STORE_FILE).read_bytes().partition(b"\n")
    body = json.loads(key.fernet.decrypt(token.rstrip(b"\n")))
    del body["meta"]
    (home / STORE_FILE).write_bytes(header + b"\n" + key.fernet.encrypt(json.dumps(body).encode()))


def test_a_secret_stored_before_records_shows_blanks_and_says_so(cli: Cli, home: Path):
    cli.set("old_secret", "old-canary-value")
    _drop_records(home)
    listed = cli("secrets", "list", "--long")
    assert listed.code == 0, str(listed)
    assert row(listed, "old_secret") == ["old_secret", "", "", "", "", ""]
    assert json.loads(cli("secrets", "list", "--long", "--json").out)["records"] == {
        "old_secret": None
    }
    shown = cli("secrets", "show", "old_secret")
    assert shown.code == 0, str(shown)
    assert "no metadata" in shown.out
    assert show(cli, "old_secret")["meta"] is None
    assert_no_value("old-canary-value", listed, shown)


# -- where each write says a value came from ----------------------------------


def test_secrets_set_records_cli(cli: Cli):
    cli.set("note", "first-value")
    first = show(cli, "note")["meta"]
    assert first["source"] == "cli"
    assert first["created"] == first["updated"]
    assert first["platform"] is None


def test_secrets_migrate_records_migrate(cli: Cli, work: Path):
    (work / ".env").write_text("PROXMOX_PASSWORD=migrated-canary\nPROXMOX_HOST=pve.lab\n")
    result = cli("secrets", "migrate")
    assert result.code == 0, str(result)
    assert show(cli, "proxmox_password")["meta"]["source"] == "migrate"
    assert_no_value("migrated-canary", result, cli("secrets", "list", "--long"))


def test_secrets_copy_into_the_file_store_records_copy(
    cli: Cli, token_env: dict[str, str], openbao: OpenBao, prefix: str
):
    openbao.write_kv(f"{prefix}/esxi_password", value="copied-canary")
    vault = {"GLASSDOME_VAULT_PREFIX": token_env["GLASSDOME_VAULT_PREFIX"]}
    result = cli("secrets", "copy", "--from", "vault", "--to", "file", **vault)
    assert result.code == 0, str(result)
    assert show(cli, "esxi_password")["meta"]["source"] == "copy"
    assert_no_value("copied-canary", result)


def test_copy_carries_the_source_records_and_records_copy_as_its_source(
    tmp_path: Path, password_env: str
):
    """Two real file stores: platform, identity, expiry, verification and creation travel."""
    source = SecretsManager(home=tmp_path / "a", backend="file")
    target = SecretsManager(home=tmp_path / "b", backend="file")
    source.set_secret("proxmox_token_value", TOKEN, meta=PVE, source="playbook:x.yml#token")
    source.set_secret("secret_key", "app-key-canary", source="cli")
    items, to_write = plan_copy(source, target)
    run_copy(target, items, to_write, carried_meta(source, list(to_write)))
    before = source.get_meta("proxmox_token_value")
    after = target.get_meta("proxmox_token_value")
    assert before is not None
    assert after is not None
    assert after.source == "copy"
    assert (after.platform, dict(after.identity)) == ("proxmox", dict(PVE.identity))
    assert (after.expires, after.verified, after.last_check) == (
        PVE.expires,
        PVE.verified,
        "ok",
    )
    assert after.created == before.created
    assert target.get_secret("proxmox_token_value") == TOKEN
    carried = target.get_meta("secret_key")
    assert carried is not None
    assert carried.source == "copy"


def test_copy_through_the_cli_still_works_with_a_target_that_keeps_no_records(
    pve_token: Cli, token_env: dict[str, str], openbao: OpenBao, prefix: str
):
    vault = {"GLASSDOME_VAULT_PREFIX": token_env["GLASSDOME_VAULT_PREFIX"]}
    result = pve_token("secrets", "copy", "--from", "file", "--to", "vault", **vault)
    assert result.code == 0, str(result)
    assert openbao.read_kv(f"{prefix}/proxmox_token_value")["value"] == TOKEN
    assert_no_value(TOKEN, result)


def test_python_callers_still_record_api(home: Path, password_env: str):
    manager = SecretsManager(home=home, backend="file")
    manager.set_secret("from_code", "code-canary")
    meta = manager.get_meta("from_code")
    assert meta is not None
    assert meta.source == "api"
    assert "code-canary" not in repr(meta) + json.dumps(meta.as_record())
