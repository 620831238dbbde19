"""A Rich prompt that validates each answer and asks again at once with the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console
from rich.prompt import InvalidResponse, PromptBase

__all__ = ["ValidatedPrompt"]


class ValidatedPrompt(PromptBase[Any]):
    """Ask until *validate* accepts the answer; it raises ValueError with the reason.

    ``password=True`` hides the typing. Enter on an empty answer takes the
    default (which the caller validates too).
    """

    response_type = str

    def __init__(
        self,
        prompt: str,
        *,
        validate: Callable[[str], Any],
        console: Console,
        password: bool = False,
        choices: list[str] | None = None,
    ) -> None:
        super().__init__(prompt, console=console, password=password, choices=choices)
        self._validate = validate

    def check_choice(self, value: str) -> bool:
        """Choices are checked by the validator, so its message is the one shown."""
        return True

    def process_response(self, value: str) -> Any:
        """Validate, or make Rich say why and ask again."""
        answer = value if self.password else value.strip()
        try:
            return self._validate(answer)
        except ValueError as exc:
            raise InvalidResponse(f"[prompt.invalid]{exc}") from None

    @classmethod
    def ask_validated(
        cls,
        prompt: str,
        *,
        validate: Callable[[str], Any],
        console: Console,
        password: bool = False,
        choices: list[str] | None = None,
        default: str | None = None,
        stream: TextIO | None = None,
    ) -> Any:
        """Ask once (re-asking on invalid answers); return the validated value."""
        widget = cls(prompt, validate=validate, console=console, password=password, choices=choices)
        if default is None:
            return widget(stream=stream)
        answer = widget(default=default, stream=stream)
        return validate(answer) if answer is default else answer
