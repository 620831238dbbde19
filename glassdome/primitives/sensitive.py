"""A holder for secret text that never shows it, without importing pydantic on the hot path.

`Sensitive` has the shape of `pydantic.SecretStr` (``get_secret_value()``), and
every API that takes one also takes a ``SecretStr``: both satisfy `SecretText`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["SecretText", "Sensitive", "reveal"]


@runtime_checkable
class SecretText(Protocol):
    """Anything that hands out its secret only on request (`Sensitive`, ``pydantic.SecretStr``)."""

    def get_secret_value(self) -> str:
        """Return the secret itself."""
        ...


class Sensitive:
    """Secret text whose str and repr are masked."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """Return the secret itself; call at the last moment."""
        return self._value

    def __repr__(self) -> str:
        return "Sensitive('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SecretText):
            import hmac  # here, not at import: the `secrets get` path never compares

            return hmac.compare_digest(
                self._value.encode("utf-8", "surrogatepass"),
                other.get_secret_value().encode("utf-8", "surrogatepass"),
            )
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __len__(self) -> int:
        return len(self._value)


def reveal(value: str | SecretText) -> str:
    """Return the plain text of *value*, whether it is a str or a secret holder."""
    return value if isinstance(value, str) else value.get_secret_value()
