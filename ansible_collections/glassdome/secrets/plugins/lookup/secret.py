"""``glassdome.secrets.secret``: read secrets from the glassdome store in Ansible."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    from ansible.utils.unsafe_proxy import wrap_var
except ImportError:  # a later ansible-core: a lookup's result is never templated again

    def wrap_var(v: Any) -> Any:
        """The value as it is."""
        return v


DOCUMENTATION = r"""
name: secret
author: glassdome contributors
short_description: Read secrets from the glassdome secret store
description:
  - Returns the value of each named secret from the glassdome store (the OS keyring,
    the encrypted file, OpenBao/Vault or AWS Secrets Manager), chosen as
    C(glassdome secrets get) chooses it.
  - The lookup runs on the controller, in the Python that runs Ansible, where the
    C(glassdome) package must be installed.
  - A missing secret, a locked store or any other glassdome error fails the task with
    glassdome's one-line message; a value is never part of a message.
options:
  _terms:
    description: Names of the secrets to read, e.g. C(proxmox_token_value).
    required: true
    type: list
    elements: str
notes:
  - The encrypted file backend needs its master password without a terminal, from
    E(GLASSDOME_MASTER_PASSWORD_FILE) or E(GLASSDOME_MASTER_PASSWORD).
  - Use C(no_log) on tasks whose output would show the value.
  - Values are marked unsafe, so Ansible never templates a value that holds C({{).
"""

EXAMPLES = r"""
- name: Call the Proxmox API with the token from the glassdome store
  ansible.builtin.uri:
    url: "https://pve.lab:8006/api2/json/version"
    headers:
      Authorization: "PVEAPIToken={{ token_id }}={{ token }}"
  vars:
    token: "{{ lookup('glassdome.secrets.secret', 'proxmox_token_value') }}"
  no_log: true

- name: Several secrets at once
  ansible.builtin.set_fact:
    creds: "{{ query('glassdome.secrets.secret', 'esxi_password', 'proxmox_password') }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: The value of each named secret, in the order the names were given.
  type: list
  elements: str
"""


class LookupModule(LookupBase):  # type: ignore[misc]  # ansible-core ships no type hints
    """Return the stored value of each term, in order."""

    def run(
        self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[Any]:
        """One value per term; a missing name or a store error raises `AnsibleLookupError`."""
        self.set_options(var_options=variables, direct=kwargs)
        try:
            from glassdome.core.secrets import get_secrets_manager
            from glassdome.errors import GlassdomeError
            from glassdome.primitives.names import normalize_name
        except ImportError:
            raise AnsibleLookupError(
                "glassdome is not installed in the Python that runs Ansible; "
                "install it there: pip install 'glassdome[ansible]'"
            ) from None
        values: list[Any] = []
        try:
            manager = get_secrets_manager()
            for term in terms:
                name = normalize_name(term)
                value = manager.get_secret(name)
                if value is None:
                    raise AnsibleLookupError(
                        f"no secret named {name!r} in the glassdome store "
                        f"({manager.backend_name} backend); store it with "
                        f"`glassdome secrets set {name}`"
                    )
                values.append(wrap_var(value))
        except GlassdomeError as exc:
            # `from None`: the message is glassdome's one line; no traceback with locals.
            raise AnsibleLookupError(f"glassdome: {exc}") from None
        return values
