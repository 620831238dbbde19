"""A Rich prompt that validates each answer and asks again at once with the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from rich.prompt import InvalidResponse, PromptBase
from rich.text import Text

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
        # Rich reads a prompt string as markup *with* emoji codes, whatever the console
        # says: a fingerprint's ":CD:" would show as a disc. Markup yes, emoji codes no.
        text = Text.from_markup(prompt, style="prompt", emoji=False)
        super().__init__(text, console=console, password=password, choices=choices)
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
            # Escaped: a reason such as "must match [a-z]+" is text, not Rich markup.
            raise InvalidResponse(f"[prompt.invalid]{escape(str(exc))}") from None

    @classmethod
    def get_input(
        cls, console: Console, prompt: Any, password: bool, stream: TextIO | None = None
    ) -> str:
        """Rich's input, without the line ending a stream's ``readline`` keeps.

        Rich takes the default only on an exactly empty answer; a bare Enter read
        from a stream is a lone line ending, so it must count as empty too.
        """
        value = super().get_input(console, prompt, password, stream=stream)
        return value.removesuffix("\n").removesuffix("\r")

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
