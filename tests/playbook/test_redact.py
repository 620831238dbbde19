"""glassdome.ui.redact: every known form of a registered secret becomes ***."""

from __future__ import annotations

import base64
import io
import json
from urllib.parse import quote, quote_plus

import pytest

from glassdome.ui.redact import MASK, RedactingStream, Redactor

SECRET = 'r3dact-me/+="x"\\é~ok'


@pytest.fixture
def redactor() -> Redactor:
    masking = Redactor()
    masking.add(SECRET)
    return masking


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


RAW = SECRET.encode("utf-8")
FORMS = {
    "plain": SECRET,
    "json": json.dumps(SECRET)[1:-1],
    "json utf-8": json.dumps(SECRET, ensure_ascii=False)[1:-1],
    "json in json": json.dumps(json.dumps(SECRET)[1:-1])[1:-1],
    "url": quote(SECRET, safe=""),
    "url keeping /": quote(SECRET),
    "url plus": quote_plus(SECRET),
    "repr": repr(SECRET)[1:-1],
    "repr of utf-8 bytes": repr(RAW)[2:-1],
    "repr of latin-1 bytes": repr(SECRET.encode("latin-1"))[2:-1],
    "json of repr": json.dumps(repr(SECRET))[2:-2],
    "base64": _b64(RAW),
    "base64 unpadded": _b64(RAW).rstrip("="),
    "urlsafe base64": _b64url(RAW),
    "urlsafe base64 unpadded": _b64url(RAW).rstrip("="),
}


@pytest.mark.parametrize("form", list(FORMS.values()), ids=list(FORMS))
def test_each_encoding_of_a_secret_is_masked(redactor: Redactor, form: str):
    masked = redactor.mask(f"before {form} after")
    assert masked == f"before {MASK} after"


@pytest.mark.parametrize("offset", [0, 1, 2])
@pytest.mark.parametrize("encode", [_b64, _b64url], ids=["standard", "urlsafe"])
def test_base64_of_the_secret_inside_a_longer_blob_is_masked(redactor, offset, encode):
    """Basic-auth style blobs: the secret at any byte alignment after a prefix."""
    blob = encode(b"user:"[: 2 + offset] + RAW + b":tail")
    masked = redactor.mask(blob)
    assert masked != blob
    assert MASK in masked


@pytest.mark.parametrize("short", ["", "a", "ab", "abc"])
def test_values_shorter_than_four_characters_are_not_registered(short: str):
    masking = Redactor()
    masking.add(short)
    masking.add(None)
    text = "a cab abc abcd"
    assert masking.mask(text) == text
    assert repr(masking) == "Redactor(0 secrets)"


def test_the_longest_form_is_masked_first():
    """A secret that contains another one is masked whole, not around the shorter one."""
    masking = Redactor()
    masking.add("token")
    masking.add("token-and-more-9")
    assert masking.mask("x token-and-more-9 y token z") == f"x {MASK} y {MASK} z"


def test_adding_the_same_secret_twice_counts_once(redactor: Redactor):
    redactor.add(SECRET)
    assert repr(redactor) == "Redactor(1 secrets)"
    assert SECRET not in repr(redactor)


def test_text_without_secrets_is_unchanged(redactor: Redactor):
    text = 'ordinary output: r3dact / "x" é'
    assert redactor.mask(text) == text


def test_redacting_stream_masks_every_write_and_passes_the_rest_through(redactor: Redactor):
    inner = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    stream = RedactingStream(inner, redactor)
    assert stream.write(f"one {SECRET}\n") == len(f"one {SECRET}\n")
    stream.writelines([f"two {FORMS['json']}\n", f"three {FORMS['url']}\n"])
    stream.flush()
    assert inner.buffer.getvalue() == f"one {MASK}\ntwo {MASK}\nthree {MASK}\n".encode()
    assert stream.isatty() is False
    assert stream.encoding == "utf-8"


def test_a_secret_registered_later_is_masked_from_then_on():
    masking = Redactor()
    inner = io.StringIO()
    stream = RedactingStream(inner, masking)
    stream.write("early 0123456789\n")
    masking.add("0123456789")
    stream.write("late 0123456789\n")
    assert inner.getvalue() == f"early 0123456789\nlate {MASK}\n"


@pytest.mark.parametrize("secret", ["fals", "true", "null", "event", '": "', "1234"])
def test_json_lines_stay_json_whatever_the_secret_matches(secret: str) -> None:
    """Strings are masked before the line is made: JSON's own words and syntax stay whole."""
    redactor = Redactor()
    redactor.add(secret)
    out = io.StringIO()
    stream = RedactingStream(out, redactor)
    document = {
        "event": "step",
        "check": False,
        "ok": True,
        "n": None,
        "count": 1234,
        "message": f"token {secret} end",
        secret: secret,
    }
    stream.write_json(document)
    parsed = json.loads(out.getvalue())
    assert parsed["message"] == "token *** end"
    assert secret not in json.dumps(parsed["message"])
    assert "***" in parsed
    assert parsed["count"] == ("***" if secret == "1234" else 1234)
    assert (parsed["check"], parsed["ok"], parsed["n"]) == (False, True, None)
