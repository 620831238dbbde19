"""The ai step's pure functions: keys scrubbed from what platforms say, and base URLs."""

from __future__ import annotations

import pytest

from glassdome.steps.ai import base_url, scrub


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        (
            "Incorrect API key provided: sk-proj-**********Qz7W. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "sk-proj-abcdefghijQz7W",
            "Incorrect API key provided: ***. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
        ),
        ("Incorrect API key provided: short. Try again", "short", "Incorrect API key provided: "),
        ("invalid x-api-key", "sk-ant-xyz-123456789", "invalid x-api-key"),
        ("line one\nline two\r\n  three", "k" * 20, "line one line two three"),
        ("key 'abcdefghijklmnop' bad", "abcdefghijklmnop", "key '***' bad"),
    ],
)
def test_scrub_removes_the_key_and_the_fragments_platforms_quote(
    text: str, key: str, expected: str
) -> None:
    assert scrub(text, key).startswith(expected)
    assert key not in scrub(text, key)


@pytest.mark.parametrize(
    ("provider", "given", "expected"),
    [
        ("openai", None, "https://api.openai.com/v1"),
        ("openai", "https://api.openai.com", "https://api.openai.com/v1"),
        ("openai", "https://gw.example/openai/v1/", "https://gw.example/openai/v1"),
        ("anthropic", None, "https://api.anthropic.com"),
        ("anthropic", "https://proxy.example/", "https://proxy.example"),
    ],
)
def test_base_url_is_what_the_sdk_variable_means(
    provider: str, given: str | None, expected: str
) -> None:
    assert base_url(provider, given) == expected
