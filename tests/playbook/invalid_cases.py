"""Invalid playbooks as data: YAML syntax and the playbook's shape (keys, types, inputs, ids).

Each `Case` is a broken playbook, the position of its first problem and what the
message says (and must never say); `tests/playbook/test_errors.py` runs every case
here and in `tests.playbook.invalid_references`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    """A broken playbook, the position of its (first) problem, and what the message says."""

    text: str
    where: str
    says: tuple[str, ...]
    never: tuple[str, ...] = field(default=())


SHAPE: dict[str, Case] = {
    "yaml syntax: bad indentation": Case(
        """\
name: broken
steps:
  - id: a
    uses: message
   with: {text: hi}
""",
        "playbook.yml:5:4:",
        ("YAML syntax: expected <block end>", "while parsing a block collection at line 3"),
    ),
    "yaml syntax: unclosed quote names where it began": Case(
        """\
name: broken
steps:
  - id: a
    uses: message
    with: {text: "hi}
""",
        "playbook.yml:6:1:",
        ("YAML syntax:", "while scanning a quoted scalar at line 5, column 18"),
    ),
    "yaml syntax: a tab": Case(
        "name: t\nsteps:\n\t- id: a\n",
        "playbook.yml:3:1:",
        ("YAML syntax: found character '\\t' that cannot start any token",),
    ),
    "duplicate key, without quoting either value": Case(
        """\
name: dup
vars:
  password: first-value-9d1
  password: second-value-7e2
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:4:3:",
        ("duplicate key 'password' (first at line 3)",),
        ("first-value-9d1", "second-value-7e2"),
    ),
    "unknown top-level key": Case(
        """\
name: t
hosts: all
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:2:1:",
        ("unknown key 'hosts'; allowed: name, description, vars, inputs, steps",),
    ),
    "missing top-level key": Case(
        "steps:\n  - {id: a, uses: message, with: {text: hi}}\n",
        "playbook.yml:1:1:",
        ("missing required key 'name'",),
    ),
    "not a mapping": Case(
        "- just\n- a list\n",
        "playbook.yml:1:1:",
        ("a playbook is a mapping with name and steps",),
    ),
    "unknown key inside an input": Case(
        """\
name: t
inputs:
  - name: host
    type: host
    secret: true
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:5:5:",
        (
            "inputs[0]: unknown key 'secret'; allowed: "
            "name, prompt, type, default, choices, validate, help, when",
        ),
    ),
    "unknown key inside an input's validate": Case(
        """\
name: t
inputs:
  - name: host
    validate: {regexp: "[a-z]+"}
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:4:16:",
        ("inputs[0].validate: unknown key 'regexp'; allowed: regex, min, max",),
    ),
    "unknown key inside a step": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: hi}
    retries: 3
""",
        "playbook.yml:6:5:",
        ("steps[0]: unknown key 'retries'; allowed: id, uses, with, when, tags, ignore_errors",),
    ),
    "wrong type: a string where a list goes": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    tags: setup
    with: {text: hi}
""",
        "playbook.yml:5:11:",
        ("steps[0].tags: Input should be a valid list",),
    ),
    "wrong type: not a boolean": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: hi}
    ignore_errors: sometimes
""",
        "playbook.yml:6:20:",
        ("steps[0].ignore_errors: Input should be a valid boolean",),
    ),
    "unknown input type lists the allowed ones": Case(
        """\
name: t
inputs:
  - name: count
    type: integer
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:4:11:",
        (
            "inputs[0].type: Input should be 'str', 'int', 'bool', 'choice', 'secret', "
            "'host', 'url', 'port' or 'path'",
        ),
    ),
    "invalid step id": Case(
        "name: t\nsteps:\n  - {id: Bad-Id, uses: message, with: {text: hi}}\n",
        "playbook.yml:3:10:",
        ("steps[0].id: String should match pattern '^[a-z_][a-z0-9_]*$'",),
    ),
    "choice without choices": Case(
        """\
name: t
inputs:
  - name: colour
    type: choice
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:3:5:",
        ("inputs[0]: Value error, an input of type 'choice' needs 'choices'",),
    ),
    "invalid regex": Case(
        """\
name: t
inputs:
  - {name: code, validate: {regex: "[a-z"}}
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:3:36:",
        ("inputs[0].validate.regex: Value error, not a valid regular expression",),
    ),
    "duplicate input name": Case(
        """\
name: t
inputs:
  - {name: host}
  - {name: port}
  - {name: host}
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:5:12:",
        ("duplicate input name 'host' (first at inputs[0])",),
    ),
    "duplicate step id": Case(
        """\
name: t
steps:
  - id: save
    uses: message
    with: {text: one}
  - id: save
    uses: message
    with: {text: two}
""",
        "playbook.yml:6:9:",
        ("duplicate step id 'save' (first at steps[0])",),
    ),
}
