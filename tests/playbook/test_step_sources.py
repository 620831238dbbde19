"""A value a playbook step stores records the playbook and the step as its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassdome.playbook.run import playbook_label
from glassdome.steps.proxmox_expiry import expires_text, token_meta
from glassdome.steps.proxmox_token import ApiTokenArgs
from tests.playbook.support import PlaybookCli, counts, store

PLAYBOOK = """\
name: sources
inputs:
  - {name: token, type: secret}
steps:
  - id: given
    uses: secret.set
    with: {name: lab_token, value: "{{ inputs.token }}"}
  - id: made
    uses: secret.generate
    with: {name: app_key}
"""


def sources(home: Path) -> dict[str, str | None]:
    """Each stored name's recorded source."""
    return {
        name: None if meta is None else meta.source
        for name, meta in store(home).list_meta().items()
    }


def test_secret_steps_record_the_playbook_path_and_their_step_id(cli: PlaybookCli, home: Path):
    cli.write("lab.yml", PLAYBOOK)
    result = cli.play("lab.yml", GLASSDOME_INPUT_TOKEN="lab-token-canary")
    assert result.code == 0, str(result)
    assert counts(result) == {"ok": 0, "changed": 2, "skipped": 0, "failed": 0}
    assert sources(home) == {
        "app_key": "playbook:lab.yml#made",
        "lab_token": "playbook:lab.yml#given",
    }


def test_a_playbook_under_a_playbooks_folder_is_named_from_there(cli: PlaybookCli, home: Path):
    (cli.cwd / "playbooks" / "lab").mkdir(parents=True)
    cli.write("playbooks/lab/keys.yml", PLAYBOOK)
    result = cli.play("playbooks/lab/keys.yml", GLASSDOME_INPUT_TOKEN="lab-token-canary")
    assert result.code == 0, str(result)
    assert sources(home)["lab_token"] == "playbook:lab/keys.yml#given"


def test_check_mode_records_nothing(cli: PlaybookCli, home: Path):
    cli.write("lab.yml", PLAYBOOK)
    result = cli.play("lab.yml", "--check", GLASSDOME_INPUT_TOKEN="lab-token-canary")
    assert result.code == 0, str(result)
    assert not (home / "secrets.encrypted").exists()


@pytest.mark.parametrize(
    ("where", "cwd", "label"),
    [
        ("repo/playbooks/setup/proxmox.yml", "elsewhere", "setup/proxmox.yml"),
        ("site/glassdome/_playbooks/setup/aws.yml", "elsewhere", "setup/aws.yml"),
        ("work/sub/mine.yml", "work", "sub/mine.yml"),
    ],
    ids=["checkout", "installed", "working-folder"],
)
def test_playbook_label_is_relative_to_the_playbook_root(
    tmp_path: Path, where: str, cwd: str, label: str
):
    assert playbook_label(tmp_path / where, tmp_path / cwd) == label


def test_a_playbook_outside_every_root_is_named_by_its_full_path(tmp_path: Path):
    path = tmp_path / "outside" / "mine.yml"
    assert playbook_label(path, tmp_path / "work") == path.resolve().as_posix()


def test_a_proxmox_token_with_an_expiry_records_it_in_utc():
    args = ApiTokenArgs(host="pve.lab", password="pw", token_id="root@pam!ci")
    expires = expires_text(1_800_000_000)
    assert token_meta(args, args.full_id, expires).expires == "2027-01-15T08:00:00Z"
    assert expires_text(0) is None
    never = token_meta(args, args.full_id, expires_text(0))
    assert never.expires is None
    assert dict(never.identity) == {"host": "pve.lab:8006", "token_id": "root@pam!ci"}
