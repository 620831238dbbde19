"""Reading Ansible vault files with ansible-core's own vault and YAML code.

Two shapes are read: a whole-file vault (a YAML vars file encrypted whole by
``ansible-vault encrypt``) and a vars file whose values are encrypted one by one
(``!vault |`` blocks from ``ansible-vault encrypt_string``), or both at once. The
result holds the top-level variables; a value that is not text is kept as a key
with no value, so a report can say it was skipped. ansible-core is imported only
here, inside the functions (the ``ansible`` extra). Messages never quote a value,
nor the decrypted file (ansible's YAML errors would show it: they are replaced).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glassdome.errors import GlassdomeError
from glassdome.primitives.sensitive import SecretText, reveal

__all__ = [
    "DEFAULT_VAULT_ID",
    "AnsibleMissing",
    "VaultPassword",
    "VaultVars",
    "WrongVaultPassword",
    "needs_vault_password",
    "read_vault_vars",
]

DEFAULT_VAULT_ID = "default"  # ansible's name for a password given without a vault id
_INLINE = re.compile(rb"!vault\b")
_MAX_BYTES = 8 * 1024 * 1024  # a vars file, not a disk image


class AnsibleMissing(GlassdomeError):
    """ansible-core, which reads vault files, is not installed."""


class WrongVaultPassword(GlassdomeError):
    """None of the vault passwords given decrypts the file. Nothing was stored."""


@dataclass(frozen=True, slots=True)
class VaultPassword:
    """One vault password: its vault id and a file to read it from, or what was typed."""

    vault_id: str
    source: Path | SecretText

    def __repr__(self) -> str:
        where = str(self.source) if isinstance(self.source, Path) else "typed"
        return f"VaultPassword(vault_id={self.vault_id!r}, source={where!r})"


@dataclass(frozen=True, slots=True)
class VaultVars:
    """The top-level variables of a vars file: text values, or None where not text."""

    variables: dict[str, str | None] = field(repr=False)

    def __repr__(self) -> str:
        return f"VaultVars(keys={list(self.variables)!r})"


def _ansible() -> None:
    try:
        import ansible.parsing.vault  # noqa: F401 - only to see whether it is there
    except ImportError:
        raise AnsibleMissing(
            "reading Ansible vaults needs ansible-core: pip install 'glassdome[ansible]'"
        ) from None


def needs_vault_password(data: bytes) -> bool:
    """Whether *data* is a whole-file vault or holds inline ``!vault`` values."""
    from ansible.parsing.vault import is_encrypted

    return bool(is_encrypted(data)) or _INLINE.search(data) is not None


def _secrets(passwords: Sequence[VaultPassword], loader: Any) -> list[tuple[str, Any]]:
    from ansible.errors import AnsibleError
    from ansible.parsing.vault import VaultSecret, get_file_vault_secret

    secrets: list[tuple[str, Any]] = []
    for password in passwords:
        if not isinstance(password.source, Path):
            typed = reveal(password.source).encode("utf-8")
            secrets.append((password.vault_id, VaultSecret(typed)))
            continue
        try:
            secret = get_file_vault_secret(
                filename=str(password.source), vault_id=password.vault_id, loader=loader
            )
            secret.load()
        except AnsibleError:
            raise GlassdomeError(
                f"cannot read a vault password from {password.source} (missing, empty, or a "
                "script that failed); pass a file that holds the vault password"
            ) from None
        secrets.append((password.vault_id, secret))
    return secrets


def _decrypt(vault: Any, vaulttext: Any, path: Path) -> str:
    from ansible.errors import AnsibleError
    from ansible.parsing.vault import AnsibleVaultError

    try:
        plaintext: bytes = vault.decrypt(vaulttext)
    except AnsibleVaultError:
        raise WrongVaultPassword(
            f"the vault password does not decrypt {path}; pass the right one with "
            "--vault-password-file or --vault-id ID@FILE (nothing was stored)"
        ) from None
    except AnsibleError:
        raise GlassdomeError(
            f"{path} holds vault text that is damaged; encrypt it again with ansible-vault"
        ) from None
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise GlassdomeError(f"{path} decrypts to something that is not UTF-8 text") from None


def _vaulted(value: Any, vault: Any, path: Path) -> str | None:
    """The plaintext of an inline ``!vault`` value; None when *value* is not one."""
    try:
        from ansible.parsing.vault import VaultHelper
    except ImportError:  # ansible-core before 2.19: the loader decrypts with the secrets given
        from ansible.parsing.yaml.objects import AnsibleVaultEncryptedUnicode

        if not isinstance(value, AnsibleVaultEncryptedUnicode):
            return None
        return _decrypt(vault, value._ciphertext, path)  # its only field
    ciphertext = VaultHelper.get_ciphertext(value, with_tags=False)
    return None if ciphertext is None else _decrypt(vault, ciphertext, path)


def _parse(text: str, path: Path, loader: Any) -> Any:
    from ansible.errors import AnsibleError

    try:
        # show_content=False: a YAML error must not print the decrypted file.
        return loader.load(text, file_name=str(path.absolute()), show_content=False)
    except AnsibleError:
        raise GlassdomeError(
            f"{path} is not a YAML file of variables; check it with ansible-vault view"
        ) from None


def read_vault_vars(path: Path, passwords: Callable[[], Sequence[VaultPassword]]) -> VaultVars:
    """Decrypt *path* and return its top-level variables.

    *passwords* is called only when the file needs one (a whole-file vault or inline
    ``!vault`` values), so a plain vars file asks for nothing. Every vaulted value is
    decrypted here: a wrong password fails before anything could be stored.
    """
    _ansible()
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.vault import VaultLib, is_encrypted

    try:
        with path.open("rb") as file:
            data = file.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise GlassdomeError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > _MAX_BYTES:
        raise GlassdomeError(f"{path} is over {_MAX_BYTES // 1024 // 1024} MiB; not a vars file")
    loader = DataLoader()
    vault = VaultLib([])
    if needs_vault_password(data):
        secrets = _secrets(passwords(), loader)
        loader.set_vault_secrets(secrets)
        vault = VaultLib(secrets)
    try:
        text = _decrypt(vault, data, path) if is_encrypted(data) else data.decode("utf-8")
    except UnicodeDecodeError:
        raise GlassdomeError(f"{path} is not UTF-8 text; save it as UTF-8") from None
    document = _parse(text, path, loader)
    if document is None:
        return VaultVars({})
    if not isinstance(document, dict):
        raise GlassdomeError(f"{path} does not hold a mapping of variables (name: value)")
    variables: dict[str, str | None] = {}
    for key, value in document.items():
        plain = _vaulted(value, vault, path)
        if plain is None and isinstance(value, str):
            plain = str.__str__(value)  # a plain str, without ansible's tags
        variables[str(key)] = plain
    return VaultVars(variables)
