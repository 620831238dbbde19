"""Reading YAML: the fast parse gives what the round-trip parse gives, and errors still say where.

Files are parsed by ruamel's safe loader (on its C parser when installed); the
round-trip parser that records positions runs only when a problem must be placed
or the fast path refuses a file. These tests hold the two paths to one answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from glassdome.playbook.loader import load_playbook
from glassdome.playbook.yamlfile import PlaybookInvalid, plain, read_yaml
from tests.conftest import REPO

SHIPPED = sorted(
    [
        *(REPO / "playbooks").rglob("*.yml"),
        *(REPO / "tests" / "fixtures" / "playbooks").rglob("*.yml"),
    ]
)


def _round_trip(path: Path) -> Any:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return plain(yaml.load(path.read_text(encoding="utf-8")))


def _typed(value: Any) -> Any:
    """*value* with the exact type of every scalar beside it (1 == True in Python)."""
    if isinstance(value, dict):
        return {_typed(k): _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__mro__[-2].__name__, value)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_every_shipped_playbook_and_answers_file_reads_the_same_on_both_paths(path: Path):
    assert _typed(read_yaml(path).data) == _typed(_round_trip(path))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: yes", {"a": "yes"}),  # YAML 1.2: only true/false are booleans
        ("a: on", {"a": "on"}),
        ("a: 0o17", {"a": 15}),
        ("a: 017", {"a": 17}),  # not octal in 1.2
        ("a: 1:30", {"a": "1:30"}),  # not sexagesimal in 1.2
        ("a: true", {"a": True}),
        ("a: ~", {"a": None}),
        ("base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2", {"base": {"x": 1}, "use": {"x": 1, "y": 2}}),
    ],
)
def test_yaml_1_2_semantics_on_the_fast_path(tmp_path: Path, text: str, expected: Any):
    path = tmp_path / "file.yml"
    path.write_text(text + "\n")
    data = read_yaml(path).data
    assert _typed(data) == _typed(expected)
    assert _typed(data) == _typed(_round_trip(path))


def test_positions_of_a_file_read_on_the_fast_path(tmp_path: Path):
    path = tmp_path / "playbook.yml"
    path.write_text("name: p\nsteps:\n  - id: a\n    uses: message\n  - {id: b, uses: assert}\n")
    found = read_yaml(path)
    assert found.positions.at(("steps", 0, "uses")) == f"{path}:4:11"
    assert found.positions.at(("steps", 1, "uses")) == f"{path}:5:19"
    assert found.positions.at(("steps", 1, "id"), key=True) == f"{path}:5:6"


MERGED = """\
name: p
steps:
  - id: a
    uses: http.check
    with:
      <<: &probe
        url: https://lab.example
        expect_status: "{{ inputs.nope }}"
  - id: b
    uses: http.check
    with:
      <<: *probe
      url: https://other.example
"""


def test_keys_merged_from_an_anchor_read_alike_on_both_paths_and_place_problems(
    tmp_path: Path,
):
    """``<<: *anchor`` shares a block of arguments; a problem in it is placed where the
    anchored block writes it, once for each step that merges it."""
    path = tmp_path / "playbook.yml"
    path.write_text(MERGED)
    data = read_yaml(path).data
    assert _typed(data) == _typed(_round_trip(path))
    assert data["steps"][1]["with"] == {
        "url": "https://other.example",
        "expect_status": "{{ inputs.nope }}",
    }
    positions = read_yaml(path).positions
    assert positions.at(("steps", 1, "with", "expect_status")) == f"{path}:8:24"
    assert positions.at(("steps", 1, "with", "url")) == f"{path}:13:12"
    with pytest.raises(PlaybookInvalid) as caught:
        load_playbook(path)
    assert (
        caught.value.problems
        == [f"{path}:8:24: undefined input 'nope' (inputs declared before this point: none)"] * 2
    )


def test_a_duplicate_key_refused_by_the_fast_path_is_placed_by_the_round_trip_parser(
    tmp_path: Path,
):
    path = tmp_path / "playbook.yml"
    path.write_text("name: p\nsteps: []\nname: q-secret-value\n")
    with pytest.raises(PlaybookInvalid) as caught:
        read_yaml(path)
    assert str(caught.value) == f"{path}:3:1: duplicate key 'name' (first at line 1)"
    assert "q-secret-value" not in str(caught.value)


def test_a_tag_the_fast_path_refuses_is_read_by_the_round_trip_parser(tmp_path: Path):
    path = tmp_path / "answers.yml"
    path.write_text("host: !custom lab.example\nport: 8006\n")
    data = read_yaml(path).data
    assert data["port"] == 8006
    assert str(data["host"]) == "lab.example"
