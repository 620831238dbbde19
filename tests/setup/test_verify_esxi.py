"""`glassdome verify` logs in to ESXi again with the stored password, the pin from ``.env`` checked.

The ESXi wizard runs first against the vSphere simulator (the fixtures and helpers of
tests/setup/test_esxi.py); verify then re-checks what it stored through the real CLI.
"""

from __future__ import annotations

import json

import pytest

from tests.setup.peers import vcsim
from tests.setup.support import WizardCli, assert_no_leak
from tests.setup.test_esxi import ESXI_PASSWORD, _answers, _play

# The fixtures of test_esxi.py, used here by name.
from tests.setup.test_esxi import binary as binary
from tests.setup.test_esxi import cli as cli
from tests.setup.test_esxi import esx as esx
from tests.setup.test_esxi import fingerprint as fingerprint
from tests.setup.test_esxi import tls_files as tls_files

pytestmark = pytest.mark.timeout(vcsim.BUILD_TIMEOUT + 120)


def test_the_stored_esxi_password_verifies_until_it_changes(
    cli: WizardCli, esx: vcsim.Simulator, fingerprint: str
):
    answers = _answers(
        cli, host=esx.host, port=esx.port, tls="fingerprint", fingerprint=fingerprint
    )
    assert _play(cli, answers, GLASSDOME_INPUT_PASSWORD=ESXI_PASSWORD).code == 0
    ok = cli("verify", "--json", "esxi_password")
    assert ok.code == 0, str(ok)
    assert json.loads(ok.out)["result"] == "ok"
    assert json.loads(cli("secrets", "show", "esxi_password", "--json").out)["meta"]["verified"]
    cli.set("esxi_password", "not-the-password")  # what a changed password looks like
    wrong = cli("verify", "--json", "esxi_password")
    assert wrong.code == 1, str(wrong)
    assert json.loads(wrong.out)["result"].startswith("login failed")
    assert_no_leak(ESXI_PASSWORD, [ok.out, ok.err, wrong.out, wrong.err])
