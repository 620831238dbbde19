"""The work bench_playbook.py times: the same playbook for glassdome and for Ansible.

200 steps cycling secret.set / config.set / assert for glassdome, and 200 copy /
copy / set_fact tasks for ``ansible-playbook``, generated from one answers file
(`ANSWERS`); ``empty`` and ``asserts`` variants measure start-up and pure steps.
"""

from __future__ import annotations

STEPS = 200
ANSWERS = {"token": "tok-3f9a1c2e7b", "host": "db.lab.example", "svc_port": 5432}
THAT = "inputs.svc_port > 0 and inputs.host != ''"


def glassdome_playbook_text(kind: str) -> str:
    """``empty`` (one message step), ``asserts`` (pure steps only) or ``mixed``."""
    head = [
        f"name: bench-{kind}",
        "inputs:",
        "  - {name: token, type: secret}",
        "  - {name: host, type: host}",
        "  - {name: svc_port, type: port}",
        "steps:",
    ]
    if kind == "empty":
        return "name: bench-empty\nsteps:\n  - {id: hello, uses: message, with: {text: hello}}\n"
    lines = list(head)
    for i in range(STEPS):
        if kind == "asserts" or i % 3 == 2:
            lines.append(f'  - {{id: a{i}, uses: assert, with: {{that: "{THAT}"}}}}')
        elif i % 3 == 0:
            lines.append(
                f"  - {{id: s{i}, uses: secret.set, "
                f'with: {{name: secret_{i}, value: "{{{{ inputs.token }}}}-{i}"}}}}'
            )
        else:
            lines.append(
                f"  - {{id: c{i}, uses: config.set, "
                f'with: {{values: {{KEY_{i}: "{{{{ inputs.host }}}}:{i}"}}}}}}'
            )
    return "\n".join(lines) + "\n"


def ansible_playbook_text(kind: str) -> str:
    """The same work as `glassdome_playbook_text`: copy for secret.set and config.set, set_fact
    for assert (a copy per .env key: lineinfile would be closer, at the same module cost)."""
    lines = [
        "- hosts: localhost",
        "  connection: local",
        "  gather_facts: false",
        "  tasks:" + (" []" if kind == "empty" else ""),
    ]
    if kind == "empty":
        return "\n".join(lines) + "\n"
    fact = "{{ (svc_port | int) > 0 and host != '' }}"
    for i in range(STEPS):
        if kind == "asserts" or i % 3 == 2:
            lines += [
                f"    - name: a{i}",
                "      ansible.builtin.set_fact:",
                f'        ok_{i}: "{fact}"',
            ]
        elif i % 3 == 0:
            lines += [
                f"    - name: s{i}",
                "      no_log: true",
                "      ansible.builtin.copy:",
                f'        dest: "{{{{ out }}}}/secret_{i}"',
                f'        content: "{{{{ token }}}}-{i}"',
                "        mode: '0600'",
            ]
        else:
            lines += [
                f"    - name: c{i}",
                "      ansible.builtin.copy:",
                f'        dest: "{{{{ out }}}}/KEY_{i}"',
                f'        content: "{{{{ host }}}}:{i}"',
                "        mode: '0644'",
            ]
    return "\n".join(lines) + "\n"
