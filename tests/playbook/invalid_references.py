"""Invalid playbooks as data: step types and their arguments, and templates whose names
do not resolve (see `tests.playbook.invalid_cases` for the `Case` and the shape cases).
"""

from __future__ import annotations

from tests.playbook.invalid_cases import Case

BUILTIN_TYPES = (
    "assert",
    "config.set",
    "http.check",
    "message",
    "net.tls_fingerprint",
    "secret.generate",
    "secret.require",
    "secret.set",
)

REFERENCES: dict[str, Case] = {
    "unknown step type lists the known ones": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: hi}
  - id: b
    uses: secret.sett
    with: {name: x, value: y}
""",
        "playbook.yml:7:11:",
        ("steps[1].uses: unknown step type 'secret.sett'; known: ", *BUILTIN_TYPES),
    ),
    "with: an argument the step type does not take": Case(
        """\
name: t
steps:
  - id: store
    uses: secret.set
    with:
      name: api_token
      valeu: some-value-3f1
""",
        "playbook.yml:7:7:",
        ("steps[0].with: unknown key 'valeu'; allowed: name, value",),
        ("some-value-3f1",),
    ),
    "with: a required argument is missing": Case(
        """\
name: t
steps:
  - id: need
    uses: secret.require
    with: {}
""",
        "playbook.yml:5:11:",
        ("steps[0].with: missing required key 'name'",),
    ),
    "with: an argument of the wrong type": Case(
        """\
name: t
steps:
  - id: key
    uses: secret.generate
    with: {name: session_key, length: many}
""",
        "playbook.yml:5:39:",
        ("steps[0].with.length: Input should be a valid integer",),
    ),
    "with: outside the step type's bounds": Case(
        """\
name: t
steps:
  - id: key
    uses: secret.generate
    with: {name: session_key, length: 8}
""",
        "playbook.yml:5:39:",
        ("steps[0].with.length: Input should be greater than or equal to 16",),
    ),
    "template: undefined input": Case(
        """\
name: t
inputs:
  - {name: host, type: host}
steps:
  - id: a
    uses: message
    with: {text: "{{ inputs.hots }}"}
""",
        "playbook.yml:7:18:",
        ("undefined input 'hots' (inputs declared before this point: host)",),
    ),
    "template: an input declared later": Case(
        """\
name: t
inputs:
  - {name: url, default: "https://{{ inputs.host }}"}
  - {name: host}
steps:
  - {id: a, uses: message, with: {text: hi}}
""",
        "playbook.yml:3:26:",
        ("undefined input 'host' (inputs declared before this point: none)",),
    ),
    "template: undefined var": Case(
        """\
name: t
vars: {domain: lab.example}
steps:
  - id: a
    uses: message
    with: {text: "{{ vars.domian }}"}
""",
        "playbook.yml:6:18:",
        ("undefined var 'domian' (vars: domain)",),
    ),
    "template: a step that does not run before": Case(
        """\
name: t
steps:
  - id: first
    uses: message
    with: {text: "{{ steps.later.sha256 }}"}
  - id: later
    uses: net.tls_fingerprint
    with: {host: 127.0.0.1}
""",
        "playbook.yml:5:18:",
        ("step 'later' does not run before this point (earlier steps: none)",),
    ),
    "template: an output the step does not have": Case(
        """\
name: t
steps:
  - id: fp
    uses: net.tls_fingerprint
    with: {host: 127.0.0.1}
  - id: show
    uses: message
    with: {text: "{{ steps.fp.sha1 }}"}
""",
        "playbook.yml:8:18:",
        ("step 'fp' (net.tls_fingerprint) has no output 'sha1'; outputs: sha256",),
    ),
    "template: an unknown setting": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: "{{ settings.proxmox_hots }}"}
""",
        "playbook.yml:5:18:",
        ("unknown or secret setting 'proxmox_hots'",),
    ),
    "template: a secret setting is refused": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: "{{ settings.proxmox_password }}"}
""",
        "playbook.yml:5:18:",
        ("unknown or secret setting 'proxmox_password'; use secret('name') for secrets",),
    ),
    "template: an unknown root name": Case(
        """\
name: t
inputs:
  - {name: host}
steps:
  - id: a
    uses: message
    with: {text: "{{ host }}"}
""",
        "playbook.yml:7:18:",
        ("undefined name 'host'; templates may use inputs, vars, steps, settings, secret()",),
    ),
    "template: undefined name in a step's when": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    when: "inputs.enabled"
    with: {text: hi}
""",
        "playbook.yml:5:11:",
        ("undefined input 'enabled'",),
    ),
    "template: undefined name in an assert's that": Case(
        """\
name: t
vars: {count: 3}
steps:
  - id: a
    uses: assert
    with: {that: "vars.cuont > 2"}
""",
        "playbook.yml:6:18:",
        ("undefined var 'cuont' (vars: count)",),
    ),
    "template: syntax error": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    with: {text: "{{ vars.x }"}
""",
        "playbook.yml:5:18:",
        ("template syntax: unexpected '}'",),
    ),
    "template: syntax error in an expression": Case(
        """\
name: t
steps:
  - id: a
    uses: message
    when: "1 =="
    with: {text: hi}
""",
        "playbook.yml:5:11:",
        ("template syntax: unexpected 'end of template'",),
    ),
    "template: unknown filter": Case(
        """\
name: t
vars: {name: lab}
steps:
  - id: a
    uses: message
    with: {text: "{{ vars.name | upper_case }}"}
""",
        "playbook.yml:6:18:",
        ("template syntax: No filter named 'upper_case'",),
    ),
}
