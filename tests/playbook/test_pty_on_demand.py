"""On a terminal, each input is asked when the first step (or ``when:``) using it runs."""

from __future__ import annotations

import re

from tests.cli.runner import finish
from tests.playbook.support import PlaybookCli

ON_DEMAND = """\
name: on-demand
inputs:
  - {name: go, type: bool, prompt: Go on}
  - {name: site, prompt: Site, default: lab}
  - {name: colour, prompt: Colour, when: inputs.go}
  - {name: size, prompt: Size, default: "{{ inputs.site }}-s"}
  - {name: unused, prompt: Asked for the whole mapping, default: spare}
steps:
  - {id: first, uses: message, with: {text: "size={{ inputs.size }}"}}
  - {id: second, uses: message, when: inputs.go, with: {text: "colour={{ inputs.colour }}"}}
  - {id: third, uses: message, with: {text: "{{ inputs | dictsort | length }} inputs"}}
"""


def _answer(child, prompt: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    child.expect(prompt)
    child.sendline(answer)


def test_inputs_come_in_playbook_order_as_the_steps_that_use_them_run(cli: PlaybookCli):
    """A default's own inputs first; a false ``when:`` asks nothing of its step's ``with``;
    a template using ``inputs`` as a whole asks for every input left."""
    cli.write("on-demand.yml", ON_DEMAND)
    child = cli.spawn_glassdome("play", "on-demand.yml")
    _answer(child, r"Site \(lab\): ", "")
    _answer(child, r"Size \(lab-s\): ", "")
    child.expect("size=lab-s")
    _answer(child, r"Go on[^\n]*: ", "n")
    _answer(child, r"Asked for the whole mapping \(spare\): ", "")
    code, transcript = finish(child)
    assert code == 0, transcript
    assert "5 inputs" in transcript
    assert "Colour" not in transcript
    questions = re.findall(r"(Site|Size|Go on|Asked for)", transcript)
    assert questions == ["Site", "Size", "Go on", "Asked for"]
