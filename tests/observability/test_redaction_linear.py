"""The redactor's patterns run in linear time and redact exactly as the former ones did.

The former patterns are kept here as the reference: on varied texts (secrets' key names,
quotes, escapes, runs of `.`/`-`, JWT fragments, characters that are word characters outside
ASCII or case-fold into it) every new shape gives the former's result. Hostile texts of a
megabyte, on which the former patterns took hours (a run tried from each of its
positions) or forever (a quoted value of backslashes), are redacted here to the end; the
run's time limit (pytest-timeout) is what would catch one that is not linear. Their cost
per character is measured in benchmarks/redaction_ab.py, not asserted here.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from zeroclaw.observability import REDACTED, Redactor, redaction

_OLD_KEY_NAME = (
    r"[A-Za-z0-9_.-]*(?:api[_-]?key|token|password|passwd|secret|authorization|"
    r"credentials?|private[_-]?key|access[_-]?key)"
)
_OLD_KEEP_1 = rf"\1{REDACTED}"
_OLD_KEEP_1_2 = rf"\1\2{REDACTED}\2"
# The shapes as they were before they were made linear (commit f7ec653).
OLD_SHAPES = (
    (re.compile(r"(?i)\b((?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=-]{8,}"), _OLD_KEEP_1),
    (
        re.compile(rf"""(?i)(["']?\b{_OLD_KEY_NAME}\b["']?\s*[:=]\s*)(["'])(?:\\.|(?!\2).)*\2"""),
        _OLD_KEEP_1_2,
    ),
    (
        re.compile(
            rf"(?i)(\b{_OLD_KEY_NAME}\b\s*[:=]\s*)"
            rf"(?!(?:Bearer|Basic|Token)\s+\[REDACTED\])[^\s\"',;&}}]+"
        ),
        _OLD_KEEP_1,
    ),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{12,}"), REDACTED),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), REDACTED),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), REDACTED),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"\b[0-9a-fA-F]{32,}\b"), REDACTED),
)


def old_text(text: str) -> str:
    """The former redaction of a text (all shapes, no secrets by value)."""
    for shape, replacement in OLD_SHAPES:
        text = shape.sub(replacement, text)
    return redaction._BASE64_RUN.sub(redaction._base64_replacement, text)


# Pieces the texts are made of: what the patterns look for, and what sits next to it.
_PIECES = [
    "token", "Token", "TOKEN", "api_key", "api-key", "apikey", "my.", "x-", "-", ".", "_",
    "password", "passwd", "secret", "Authorization", "credential", "credentials",
    "private_key", "access-key", "key", "Bearer ", "Basic ", "bearer\t",
    ":", "=", ": ", " = ", " ", "  ", "\n", "\t", '"', "'", "\\", "\\\\", '\\"', "\\'",
    ",", ";", "&", "}", "{", "[REDACTED]", "abcdefgh", "ABCDEFGH12", "a1", "Zz9",
    "eyJ", "eyJhbGciOiJIUzI1NiJ9", "sk-", "ghp_", "xoxb-", "AKIA", "AIza",
    "0123456789abcdef", "deadbeefdeadbeef", "é", "\u212a", "\u017f", "ı", "İ", "٣", "/",
    "\u017fecret", "authorızation", "TOKEN\u0130", "api\u212aey", "ba\u017fic ", "pa\u017f\u017fwd",
]  # fmt: skip
_TEXTS = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join) | st.text(
    alphabet=st.sampled_from(sorted(set("".join(_PIECES)))), max_size=80
)


def _tame(text: str) -> bool:
    # The former quoted-value pattern is exponential in a run of backslashes.
    return text.count("\\") <= 14


@settings(max_examples=3000, deadline=None)
@given(_TEXTS.filter(_tame))
@example('token: "abc\\"def')
@example('{"api_key": "abc123", "Token" : \'x\'}')
@example("a-a-a.token = 'x\\'y' z")
@example('é.token=abc; \u212a-secret: "v" ')
@example("xeyJ-eyJabcdefgh.abcdefghi.jk")
@example("-token=abc and .secret: 'v'")
@example("token: 'a\nb' c'")
@example("éab-token=abc, éab.-x_password: 'v'")
@example("\u017fecret=abc and authorızation: 'x'")
@example('\'\u017f.token="a\\"b"\'')
def test_every_shape_redacts_as_the_former_one_did(text: str) -> None:
    for (old, old_replacement), new in zip(OLD_SHAPES, redaction._SHAPES, strict=True):
        assert new.pattern.sub(new.replacement, text) == old.sub(old_replacement, text), old.pattern
    assert Redactor().text(text) == old_text(text)


def _hostile(unit: str, size: int, tail: str = "") -> str:
    return unit * (size // len(unit)) + tail


# (text, what must be in its redaction, what must not). Each took the former patterns
# hours (quadratic) or longer (exponential) at this size.
_MEGABYTE = 1_000_000
_HOSTILE = [
    # A key name's run tried from each of its positions.
    (_hostile("a-", _MEGABYTE, " token=tail-secret"), f"token={REDACTED}", "tail-secret"),
    (_hostile("x.", _MEGABYTE, ".token: 'quoted'"), f"token: '{REDACTED}'", "quoted"),
    (_hostile("-key", _MEGABYTE, " api_key=abc123"), f"api_key={REDACTED}", "abc123"),
    # A JWT's first part tried from each `eyJ` of the run.
    (_hostile("eyJ-", _MEGABYTE, " jwt"), "eyJ-eyJ-", REDACTED),
    # A quoted value of backslashes with no closing quote.
    (
        'token: "' + _hostile("\\", _MEGABYTE) + "\npassword=hunter22",
        f"password={REDACTED}",
        "hunter22",
    ),
    # Words ending in a key's name, none followed by a value.
    (_hostile("abckey ", _MEGABYTE, "secret=s3cr3t"), f"secret={REDACTED}", "s3cr3t"),
    # Whitespace after a key's name and its separator, with no value.
    ("token:" + _hostile(" ", _MEGABYTE) + ",token=last1", f"token={REDACTED}", "last1"),
]


@pytest.mark.parametrize(("text", "kept", "gone"), _HOSTILE, ids=lambda v: repr(v)[:12])
def test_a_megabyte_of_hostile_text_is_redacted_to_the_end(text: str, kept: str, gone: str) -> None:
    redacted = Redactor().text(text)

    assert kept in redacted
    assert gone not in redacted
    assert len(redacted) > len(text) // 2


def test_the_fold_names_every_character_a_pattern_takes_for_an_ascii_letter() -> None:
    # The shapes keyed by a secret's word are skipped on text whose lowercase, with these
    # characters read as ASCII, lacks the word: a character missing here would hide it.
    letter = re.compile("(?i)[a-z]")
    taken = {chr(c) for c in range(0x80, 0x110000) if letter.match(chr(c))}
    assert taken == {chr(c) for c in redaction._ASCII_FOLD}
