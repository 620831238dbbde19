"""Which environment variables `glassdome secrets exec` may set, and which it keeps back.

A stored secret becomes an environment variable of the command `secrets exec`
runs. Anyone who can write to the store (on a shared Vault prefix: every
teammate with write access) therefore chooses variable names in that command's
environment. Names that change how a process finds, loads or runs code
(``PATH``, ``LD_PRELOAD``, ``PYTHONPATH``, ``BASH_ENV``, ...) would turn that
write access into code execution on the machine of whoever runs ``exec``, so
they are never set from the store, whether a secret maps to one by its name or
explicitly with ``--env``. This is the one list of them.

The store's own credentials (master password, Vault token) are a separate
matter: they come from the parent's environment and are kept from the command
unless asked for (``--pass-store-credentials``).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "DENIED_NAMES",
    "DENIED_PREFIXES",
    "ENV_NAME",
    "STORE_CREDENTIAL_NAMES",
    "STORE_CREDENTIAL_PREFIXES",
    "is_denied",
    "is_store_credential",
]

# A POSIX environment variable name (portable character set, not starting with a digit).
ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Exact names a secret never sets: the search path, the shells' start-up and
# parsing hooks, interpreter option variables, the user's home and shell.
DENIED_NAMES: Final[frozenset[str]] = frozenset(
    {
        "PATH",
        "CDPATH",
        "HOME",
        "SHELL",
        "ENV",
        "BASH_ENV",
        "BASHOPTS",
        "SHELLOPTS",
        "IFS",
        "PS4",
        "PROMPT_COMMAND",
        "NODE_OPTIONS",
        "NODE_PATH",
        "PERLLIB",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "GCONV_PATH",
        # Where a passed-on Vault token would go, and whether its server is checked.
        "VAULT_ADDR",
        "VAULT_CACERT",
        "VAULT_CAPATH",
        "VAULT_SKIP_VERIFY",
    }
)

# Prefixes a secret never sets: the dynamic loaders (glibc, macOS), Python,
# Perl and Ruby start-up variables, bash exported functions, and glassdome's
# own settings (which include where the store and its master password are).
DENIED_PREFIXES: Final[tuple[str, ...]] = (
    "LD_",
    "DYLD_",
    "PYTHON",
    "PERL5",
    "RUBY",
    "BASH_FUNC_",
    "GLASSDOME_",
)

# The keys to the store: dropped from the environment the command inherits
# unless --pass-store-credentials is given.
STORE_CREDENTIAL_NAMES: Final[frozenset[str]] = frozenset(
    {
        "GLASSDOME_NEW_MASTER_PASSWORD_FILE",
        "VAULT_TOKEN",
        "VAULT_SECRET_ID",
    }
)
STORE_CREDENTIAL_PREFIXES: Final[tuple[str, ...]] = ("GLASSDOME_MASTER_PASSWORD",)


def is_denied(variable: str) -> bool:
    """Whether a secret may never set *variable* (compared upper-cased, as Windows would)."""
    upper = variable.upper()
    return upper in DENIED_NAMES or upper.startswith(DENIED_PREFIXES)


def is_store_credential(variable: str) -> bool:
    """Whether *variable* carries a credential that unlocks the store."""
    upper = variable.upper()
    return upper in STORE_CREDENTIAL_NAMES or upper.startswith(STORE_CREDENTIAL_PREFIXES)
