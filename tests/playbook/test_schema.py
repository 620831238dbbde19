"""`glassdome playbook schema`: what an editor checks agrees with what `validate` checks."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from glassdome.cli import main
from glassdome.playbook.loader import PlaybookInvalid, load_playbook
from tests.conftest import REPO


def _valid(path: Path) -> bool:
    try:
        load_playbook(path)
    except PlaybookInvalid:
        return False
    return True


# Every shipped playbook and every case that validates (the invalid cases need not pass).
PLAYBOOKS = [
    path
    for path in sorted(
        [
            *(REPO / "playbooks").rglob("*.yml"),
            *(REPO / "tests" / "fixtures" / "playbooks" / "cases").glob("*/playbook.yml"),
        ]
    )
    if _valid(path)
]


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["playbook", "schema"]) == 0
    schema = json.loads(out.getvalue())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _problems(validator: Draft202012Validator, document: Any) -> list[str]:
    return sorted(error.message for error in validator.iter_errors(document))


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_a_playbook_that_validates_satisfies_the_schema(
    validator: Draft202012Validator, path: Path
):
    assert _problems(validator, YAML(typ="safe").load(path.read_text())) == []


def _step(uses: str, with_: dict[str, Any]) -> dict[str, Any]:
    return {"name": "p", "steps": [{"id": "a", "uses": uses, "with": with_}]}


def test_uses_lists_the_step_types(validator: Draft202012Validator):
    assert _problems(validator, _step("message", {"text": "hi"})) == []
    assert any("is not one of" in p for p in _problems(validator, _step("secret.sett", {})))


@pytest.mark.parametrize(
    ("uses", "with_", "says"),
    [
        ("secret.set", {"nme": "x", "value": "y"}, "'nme' was unexpected"),
        ("secret.set", {"value": "y"}, "'name' is a required property"),
        ("http.check", {"url": "https://x", "expect_status": 42}, "42 is not valid"),
        ("secret.generate", {"name": "k", "length": "long"}, "'long' is not valid"),
    ],
)
def test_each_step_type_s_arguments_are_checked(
    validator: Draft202012Validator, uses: str, with_: dict[str, Any], says: str
):
    problems = _problems(validator, _step(uses, with_))
    assert any(says in p for p in problems), problems


def test_a_templated_argument_is_accepted_where_a_number_is_expected(
    validator: Draft202012Validator,
):
    templated = _step("http.check", {"url": "https://x", "expect_status": "{{ vars.code }}"})
    assert _problems(validator, templated) == []
