"""The lookup plugin ``glassdome.secrets.secret`` run by real ansible and ansible-playbook."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.ansible.conftest import LOCAL, Ansible, ansible_tool
from tests.cli.runner import Cli
from tests.leaks import forms

# A value Ansible would template if the lookup handed it over as trusted text.
CANARY = "lookup-canary-{{ 7 * 6 }}-Qx81"
OTHER = "other-canary-Jm27"
LOOKUP = "lookup('glassdome.secrets.secret', '{}')"


@pytest.fixture
def stored(cli: Cli) -> None:
    cli.set("proxmox_token_value", CANARY)
    cli.set("esxi_password", OTHER)


def assert_no_leak(output: str, *values: str) -> None:
    for value in values:
        for form, text in forms(value).items():
            assert text not in output, f"{form} of a secret in the output:\n{output}"


def test_ansible_debug_prints_the_stored_value_untemplated(ansible: Ansible, stored: None):
    result = ansible.debug("{{ " + LOOKUP.format("proxmox_token_value") + " }}")
    assert result.code == 0, str(result)
    assert f'"msg": "{CANARY}"' in result.out
    assert "lookup-canary-42" not in result.out


def test_several_names_give_several_values_in_order(ansible: Ansible, stored: None):
    query = "query('glassdome.secrets.secret', 'esxi_password', 'PROXMOX_TOKEN_VALUE')"
    result = ansible.debug("{{ " + query + " | join(',') }}")
    assert result.code == 0, str(result)
    assert f'"msg": "{OTHER},{CANARY}"' in result.out


def test_no_log_keeps_the_value_out_of_a_playbook_run(ansible: Ansible, stored: None):
    result = ansible.playbook(
        f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: use the token
      ansible.builtin.debug:
        msg: "{{{{ {LOOKUP.format("proxmox_token_value")} }}}}"
      no_log: true
""",
        "-v",
    )
    assert result.code == 0, str(result)
    assert "ok=1" in result.out
    assert "censored" in result.out
    assert_no_leak(result.out + result.err, CANARY)


def test_a_playbook_task_receives_the_exact_value(ansible: Ansible, stored: None, tmp_path: Path):
    target = tmp_path / "received.txt"
    result = ansible.playbook(
        f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: write the token where only its owner can read it
      ansible.builtin.copy:
        content: "{{{{ {LOOKUP.format("proxmox_token_value")} }}}}"
        dest: "{target}"
        mode: "0600"
      no_log: true
"""
    )
    assert result.code == 0, str(result)
    assert "changed=1" in result.out
    assert target.read_text(encoding="utf-8") == CANARY
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert_no_leak(result.out + result.err, CANARY)


def test_a_missing_name_fails_the_task_with_glassdomes_one_line(ansible: Ansible, stored: None):
    result = ansible.debug("{{ " + LOOKUP.format("no_such_secret") + " }}")
    assert result.code != 0, str(result)
    message = (
        "no secret named 'no_such_secret' in the glassdome store (file backend); "
        "store it with `glassdome secrets set no_such_secret`"
    )
    assert message in result.out + result.err
    assert "Traceback" not in result.out + result.err
    assert_no_leak(result.out + result.err, CANARY, OTHER)


def test_a_store_error_fails_the_task_without_a_value(ansible: Ansible, stored: None):
    wrong = ansible.folder / "wrong-password"
    wrong.write_text("not the master password\n", encoding="utf-8")
    result = ansible.debug(
        "{{ " + LOOKUP.format("proxmox_token_value") + " }}",
        GLASSDOME_MASTER_PASSWORD_FILE=str(wrong),
    )
    assert result.code != 0, str(result)
    assert "The lookup plugin 'glassdome.secrets.secret' failed: glassdome: " in result.out
    assert "master password" in result.out
    assert "Traceback" not in result.out + result.err
    assert_no_leak(result.out + result.err, CANARY, OTHER)


def test_an_invalid_name_is_described_not_quoted(ansible: Ansible, stored: None):
    result = ansible.debug("{{ " + LOOKUP.format("Not A Name!") + " }}")
    assert result.code != 0, str(result)
    assert "invalid secret name (character ' ' at position 4 is not allowed)" in result.out
    assert "Not A Name!" not in result.out.replace(LOOKUP.format("Not A Name!"), "")


def test_ansible_doc_reads_the_plugins_documentation(ansible: Ansible):
    result = ansible.run("ansible-doc", "--json", "-t", "lookup", "glassdome.secrets.secret")
    assert result.code == 0, str(result)
    entry = json.loads(result.out)["glassdome.secrets.secret"]
    assert entry["doc"]["short_description"] == "Read secrets from the glassdome secret store"
    assert entry["doc"]["options"]["_terms"]["required"] is True
    assert "glassdome.secrets.secret" in entry["examples"]
    assert entry["return"]["_raw"]["type"] == "list"


def test_on_a_terminal_without_a_master_password_the_lookup_fails_at_once(
    ansible: Ansible, stored: None
):
    """Ansible runs lookups in workers without a terminal: no prompt that could hang a run."""
    import pexpect

    env = ansible.env()
    del env["GLASSDOME_MASTER_PASSWORD_FILE"]
    argv = [ansible_tool("ansible"), "localhost", *LOCAL, "-m", "debug", "-a"]
    argv.append("msg={{ " + LOOKUP.format("proxmox_token_value") + " }}")
    child = pexpect.spawn(
        argv[0], argv[1:], cwd=str(ansible.folder), env=env, encoding="utf-8", timeout=60
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus not in (None, 0), child.before
    assert "set GLASSDOME_MASTER_PASSWORD_FILE" in child.before
    assert CANARY not in child.before
