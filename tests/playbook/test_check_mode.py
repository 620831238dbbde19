"""--check changes nothing; a real run changes what it said; a second run changes nothing;
a failure stops the run and keeps what earlier steps stored."""

from __future__ import annotations

from pathlib import Path

from tests.playbook.support import (
    PlaybookCli,
    counts,
    recap,
    seed,
    step_messages,
    step_statuses,
    stored,
    tree,
)

PLAYBOOK = """\
name: lab setup
vars: {prefix: lab}
inputs:
  - {name: password, type: secret}
  - {name: host, type: host, default: pve.lab.example}
steps:
  - id: store_password
    uses: secret.set
    with: {name: "{{ vars.prefix }}_password", value: "{{ inputs.password }}"}
  - id: make_key
    uses: secret.generate
    with: {name: "{{ vars.prefix }}_key"}
  - id: save
    uses: config.set
    with: {values: {LAB_HOST: "{{ inputs.host }}", LAB_PORT: "8006"}}
  - id: say
    uses: message
    with: {text: "{{ inputs.host }} configured"}
"""
ENV_BEFORE = "# mine\r\nLAB_HOST=old.lab\r\nOTHER='kept as is'\n"
PASSWORD = "check-mode-pass-3d9"


def test_check_with_nothing_there_creates_no_file(cli: PlaybookCli, home: Path, work: Path):
    """No store folder, no .env, no other file; every step that would change says so."""
    cli.write("playbook.yml", PLAYBOOK)
    before = tree(work)
    result = cli.play("playbook.yml", "--check", GLASSDOME_INPUT_PASSWORD=PASSWORD)
    assert result.code == 0, str(result)
    assert step_statuses(result) == [
        ("store_password", "changed"),
        ("make_key", "changed"),
        ("save", "changed"),
        ("say", "ok"),
    ]
    assert recap(result)["changed"] == 3
    assert not home.exists()
    assert tree(work) == before


def test_check_leaves_store_and_env_byte_for_byte_and_says_what_would_change(
    cli: PlaybookCli, home: Path, work: Path
):
    seed(home, {"lab_password": "an-older-password", "unrelated": "left-alone-value"})
    (work / ".env").write_bytes(ENV_BEFORE.encode())
    cli.write("playbook.yml", PLAYBOOK)
    store_before, work_before = tree(home), tree(work)
    result = cli.play("playbook.yml", "--check", json=False, GLASSDOME_INPUT_PASSWORD=PASSWORD)
    assert result.code == 0, str(result)
    assert tree(home) == store_before
    assert tree(work) == work_before
    assert "check mode: nothing will be changed" in result.out
    assert "RECAP (check mode)" in result.out
    lines = result.out.splitlines()
    would = [line.split()[2] for line in lines if line.startswith("would change")]
    assert would == ["store_password", "make_key", "save"]
    assert "lab_password will be replaced" in result.out
    assert "lab_key will be generated (48 characters)" in result.out
    assert ".env: LAB_HOST, LAB_PORT" in result.out


def test_real_run_then_second_run_and_check_report_nothing_to_change(
    cli: PlaybookCli, home: Path, work: Path
):
    (work / ".env").write_bytes(ENV_BEFORE.encode())
    cli.write("playbook.yml", PLAYBOOK)
    first = cli.play("playbook.yml", GLASSDOME_INPUT_PASSWORD=PASSWORD)
    assert first.code == 0, str(first)
    assert counts(first) == {"ok": 1, "changed": 3, "skipped": 0, "failed": 0}
    assert (work / ".env").read_bytes() == (
        b"# mine\r\nLAB_HOST=pve.lab.example\r\nOTHER='kept as is'\nLAB_PORT=8006\n"
    )
    after_first = stored(home)
    assert after_first["lab_password"] == PASSWORD
    files = tree(home), tree(work)

    again = cli.play("playbook.yml", GLASSDOME_INPUT_PASSWORD=PASSWORD)
    assert again.code == 0, str(again)
    assert {status for _, status in step_statuses(again)} == {"ok"}
    assert counts(again) == {"ok": 4, "changed": 0, "skipped": 0, "failed": 0}
    assert stored(home) == after_first

    check = cli.play("playbook.yml", "--check", GLASSDOME_INPUT_PASSWORD=PASSWORD)
    assert check.code == 0, str(check)
    assert counts(check) == {"ok": 4, "changed": 0, "skipped": 0, "failed": 0}
    assert (tree(home), tree(work)) == files


FAILING = """\
name: stops at a failure
inputs:
  - {name: password, type: secret}
steps:
  - id: store_password
    uses: secret.set
    with: {name: kept_password, value: "{{ inputs.password }}"}
  - id: need_token
    uses: secret.require
    with: {name: proxmox_token_value}
  - id: never
    uses: config.set
    with: {values: {NEVER: "written"}}
"""


def test_a_failed_step_stops_the_run_keeps_earlier_secrets_and_the_recap_names_it(
    cli: PlaybookCli, home: Path, work: Path
):
    cli.write("playbook.yml", FAILING)
    result = cli.play("playbook.yml", json=False, GLASSDOME_INPUT_PASSWORD=PASSWORD)
    assert result.code == 1, str(result)
    assert "Stopped at step need_token. Steps before it kept what they stored." in result.out
    assert "never" not in result.out
    assert "ok=0  changed=1  skipped=0  failed=1" in result.out
    assert stored(home) == {"kept_password": PASSWORD}
    assert not (work / ".env").exists()

    as_json = cli.play("playbook.yml", GLASSDOME_INPUT_PASSWORD=PASSWORD)
    assert as_json.code == 1, str(as_json)
    assert step_statuses(as_json) == [("store_password", "ok"), ("need_token", "failed")]
    assert recap(as_json)["stopped_at"] == "need_token"
    assert "glassdome secrets set proxmox_token_value" in step_messages(as_json)["need_token"]
    # The human recap goes to stderr with --json, stdout holding only events.
    assert "Stopped at step need_token." in as_json.err


def test_list_steps_lists_and_runs_nothing(cli: PlaybookCli, home: Path, work: Path):
    tagged = "    uses: config.set\n    tags: [cfg]\n    when: \"inputs.host != ''\"\n"
    cli.write("playbook.yml", PLAYBOOK.replace("    uses: config.set\n", tagged))
    result = cli("play", "playbook.yml", "--list-steps")
    assert result.code == 0, str(result)
    assert result.out.splitlines() == [
        "store_password  (secret.set)",
        "make_key  (secret.generate)",
        "save  (config.set)  tags: cfg  when: inputs.host != ''",
        "say  (message)",
    ]
    assert not home.exists()
    assert not (work / ".env").exists()


def test_check_fails_a_config_value_the_real_run_would_refuse(cli: PlaybookCli, work: Path):
    """python-dotenv would expand ${...} in it: --check says so instead of "would change"."""
    cli.write(
        "playbook.yml",
        "name: p\nsteps:\n  - id: save\n    uses: config.set\n"
        '    with: {values: {LAB_URL: "at ${HOME}"}}\n',
    )
    before = tree(work)
    checked = cli.play("playbook.yml", "--check")
    assert checked.code == 1, str(checked)
    assert step_statuses(checked) == [("save", "failed")]
    assert "would read the value back differently" in checked.err + checked.out
    real = cli.play("playbook.yml")
    assert real.code == 1, str(real)
    assert step_statuses(real) == [("save", "failed")]
    assert tree(work) == before


CHAINED = """\
name: chained
inputs:
  - {name: password, type: secret}
steps:
  - id: store
    uses: secret.set
    with: {name: lab_password, value: "{{ inputs.password }}"}
  - id: needs_it
    uses: secret.require
    with: {name: lab_password}
  - id: uses_it
    uses: message
    with: {text: "{{ secret('lab_password') | length }} characters"}
  - id: make_key
    uses: secret.generate
    with: {name: lab_key}
  - id: key_needed
    uses: secret.require
    with: {name: lab_key}
"""


def test_check_sees_what_earlier_steps_would_store(cli: PlaybookCli, home: Path, work: Path):
    """A secret an earlier step would store satisfies secret.require and secret() in --check,
    as it would in the real run; nothing is written."""
    cli.write("playbook.yml", CHAINED)
    result = cli.play("playbook.yml", "--check", GLASSDOME_INPUT_PASSWORD=PASSWORD)
    assert result.code == 0, str(result)
    assert step_statuses(result) == [
        ("store", "changed"),
        ("needs_it", "ok"),
        ("uses_it", "ok"),
        ("make_key", "changed"),
        ("key_needed", "ok"),
    ]
    # secret() found the value (else the step fails); its length is derived from it: masked.
    assert step_messages(result)["uses_it"] == "***"
    assert not home.exists()
    real = cli.play("playbook.yml", GLASSDOME_INPUT_PASSWORD=PASSWORD)
    assert step_statuses(real) == step_statuses(result)
    assert stored(home)["lab_password"] == PASSWORD


def test_check_says_why_a_value_generated_by_an_earlier_step_cannot_be_read(cli: PlaybookCli):
    cli.write(
        "playbook.yml",
        "name: p\nsteps:\n  - {id: make, uses: secret.generate, with: {name: k}}\n"
        "  - {id: show, uses: message, with: {text: \"{{ secret('k') }}\"}}\n",
    )
    result = cli.play("playbook.yml", "--check")
    assert result.code == 1, str(result)
    assert step_statuses(result) == [("make", "changed"), ("show", "failed")]
    assert "generates it in a real run only" in step_messages(result)["show"]


def test_check_sees_what_a_platform_step_would_store(cli: PlaybookCli, home: Path):
    """Any step that stores a secret tells the run so (its plan's `stores`), not only the
    secret.* steps: a later secret.require and secret() see it in --check."""
    cli.write(
        "playbook.yml",
        "name: p\ninputs:\n  - {name: key, type: secret}\nsteps:\n"
        "  - id: aws\n    uses: aws.verify_access_key\n"
        "    with: {access_key_id: AKIAABCDEFGHIJKLMNOP, secret_access_key: '{{ inputs.key }}'}\n"
        "  - {id: needs_it, uses: secret.require, with: {name: aws_secret_access_key}}\n"
        "  - id: uses_it\n    uses: message\n"
        "    with: {text: \"{{ secret('aws_secret_access_key') | length }} characters\"}\n",
    )
    key = "aws-check-canary-0d3f"
    result = cli.play("playbook.yml", "--check", "--no-verify", GLASSDOME_INPUT_KEY=key)
    assert result.code == 0, str(result)
    assert step_statuses(result) == [("aws", "changed"), ("needs_it", "ok"), ("uses_it", "ok")]
    # secret() found the value (else the step fails); its length is derived from it: masked.
    assert step_messages(result)["uses_it"] == "***"
    assert not home.exists()
