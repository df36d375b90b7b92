"""Redacting secrets from what the audit log (and the webhook_audit hook) write down.

It lives in observability, below the hooks, because the audit log is an observer backend
and both must redact the same way. Three nets, because no single one catches everything:
- by key: the value of a mapping key that names a secret (`api_key`, `token`,
  `password`, `secret`, `authorization`, ...) is replaced whole, whatever it looks like;
- by shape: strings that look like credentials (`sk-...`, `Bearer ...`, `key=value`
  pairs with a secret's name, JWTs, long hex or base64 runs) are replaced where they occur;
- by value: the values of the environment variables that hold the configured API keys,
  and secrets the config holds itself (an MCP server's env values and headers), are
  replaced wherever they appear, even in a shape the patterns do not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from zeroclaw.named_env import ENVIRONMENT_ONLY, NamedEnv

REDACTED: Final = "[REDACTED]"

# Shorter values would blank out ordinary text while protecting nothing real.
MIN_SECRET_CHARS: Final = 4

# Matched against a key's lowercased name with `-` and `.` read as `_`. Suffixes, so
# `access_token` and `client_secret` count while `max_tokens` does not.
_SECRET_KEY_SUFFIXES: Final = (
    "api_key",
    "apikey",
    "token",
    "password",
    "passwd",
    "pwd",
    "secret",
    "authorization",
    "auth",
    "credential",
    "credentials",
    "private_key",
    "access_key",
    "cookie",
    "signature",
)
_SECRET_KEY_PARTS: Final = ("password", "secret", "api_key", "apikey")

# Every pattern below runs in time linear in the text (a tool's output can be megabytes,
# and it is redacted on the event loop). Two things would make one super-linear, and the
# patterns are written to have neither (tests/observability/test_redaction_linear.py checks
# them on hostile texts, against the former patterns as the reference for the result):
# - a scan over a run of characters tried again from every position inside the run (a
#   secret's key name `[A-Za-z0-9_.-]*token` in `a-a-a-...`, a JWT's `eyJ...` in
#   `eyJ-eyJ-...`): quadratic. A match is tried only from the start of its run, which
#   finds what a later start would (its scan covers theirs);
# - alternatives that can split the same text two ways (`\\.` or `.` over a backslash)
#   ahead of a part that fails: exponential. A quoted value is read as escapes first,
#   possessively, and only if that finds no closing quote is it the line's last one (which
#   is what the former backtracking found).
# Where a match now starts earlier than before, the part before the secret is a group the
# replacement keeps, so the result is the same text.
_KEY_CHAR = r"[A-Za-z0-9_.-]"
# A secret's key name: from the start of its run of key characters, up to the first word
# boundary in it (where `\b[A-Za-z0-9_.-]*` could first begin), then to the secret's word.
_KEY_NAME = (
    rf"(?<!{_KEY_CHAR})(?:\b|\B[A-Za-z0-9_]++\b|\B[.-]++\b){_KEY_CHAR}*"
    r"(?:api[_-]?key|token|password|passwd|secret|authorization|"
    r"credentials?|private[_-]?key|access[_-]?key)"
)
# A quoted value after its opening quote (group 2): up to the first quote its escapes leave
# unescaped, else (an escaped quote at the end) up to the line's last quote.
_QUOTED_REST = r"""(?:(?:\\.|(?!\2)[^\\\n])*+\2|[^\n]*\2)"""
_JWT_CHAR = r"[A-Za-z0-9_-]"
_KEEP_1 = rf"\1{REDACTED}"
_KEEP_1_2 = rf"\1\2{REDACTED}\2"
# (pattern, replacement): the replacement keeps what says what the secret was.
_SHAPES: Final = (
    # Authorization header values: keep the scheme.
    (re.compile(r"(?i)\b((?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=-]{8,}"), _KEEP_1),
    # "key": "value" and key='value' where the key names a secret: the whole quoted value.
    (
        re.compile(rf"""(?i)(["']?{_KEY_NAME}\b["']?\s*[:=]\s*)(["']){_QUOTED_REST}"""),
        _KEEP_1_2,
    ),
    # key=value, key: value unquoted: up to the next space or separator (a value the
    # header rule above already redacted is left as it is).
    (
        re.compile(
            rf"(?i)({_KEY_NAME}\b\s*[:=]\s*)"
            rf"(?!(?:Bearer|Basic|Token)\s+\[REDACTED\])[^\s\"',;&}}}}]+"
        ),
        _KEEP_1,
    ),
    # Provider keys: OpenAI/Anthropic/OpenRouter (sk-...), GitHub, Slack, AWS, Google.
    (re.compile(r"\bsk-[A-Za-z0-9_-]{12,}"), REDACTED),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"), REDACTED),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), REDACTED),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"), REDACTED),
    # JSON Web Tokens: from the first `eyJ` of a run (group 1 keeps what comes before it).
    (
        re.compile(
            rf"(?<!{_JWT_CHAR})(?>({_JWT_CHAR}*?)\beyJ)"
            rf"{_JWT_CHAR}{{8,}}+\.{_JWT_CHAR}{{8,}}+\.{_JWT_CHAR}*+"
        ),
        _KEEP_1,
    ),
    # Long hex runs (keys, HMACs; also hashes: an audit log loses little by that).
    (re.compile(r"\b[0-9a-fA-F]{32,}\b"), REDACTED),
)
# What the first three shapes above cannot match without (a scheme and a space; a
# secret's word then, maybe, a quote, spaces and `:` or `=`), looked for in the text
# lowercased: a text without it skips those three, whose case-insensitive alternation of
# key names, tried at each run of key characters, costs the most of all shapes (~2 us a
# line of 30, ~0.1 us a character), where this search costs ~0.02 us a character.
_KEYED_SHAPES: Final = 3
_KEYED: Final = re.compile(
    r"(?:bearer|basic|token)\s|"
    r"(?:key|token|passw(?:or)?d|secret|authorization|credentials?)[\"']?\s*[:=]"
)
# The characters outside ASCII a case-insensitive pattern takes for an ASCII letter
# (İ ı ſ and the Kelvin sign), read as that letter before lowercasing: `ſecret` is a
# secret's word to the shapes.
_ASCII_FOLD: Final = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
# A long run of base64 characters is a token only if it mixes cases and digits, which
# random bytes almost always do and identifiers and words almost never do. `/` is left
# out so that paths are not taken for tokens.
_BASE64_RUN: Final = re.compile(r"[A-Za-z0-9+_=-]{32,}")


def is_secret_key(name: str) -> bool:
    normal = re.sub(r"[-.\s]", "_", name.strip().lower())
    return normal.endswith(_SECRET_KEY_SUFFIXES) or any(
        part in normal for part in _SECRET_KEY_PARTS
    )


class Redactor:
    """Replaces secrets in strings and (nested) JSON-like values with `[REDACTED]`.

    `secret_envs` names environment variables whose values are secrets; they are read on
    every call (from the environment, else the config's .env file: `env`, see
    zeroclaw.named_env), so a key exported after start-up is still caught. `secret_values`
    are secrets given as they are (values from the config file).
    """

    def __init__(
        self,
        secret_envs: Iterable[str] = (),
        secret_values: Iterable[str] = (),
        env: NamedEnv = ENVIRONMENT_ONLY,
    ) -> None:
        self._secret_envs = tuple(dict.fromkeys(name for name in secret_envs if name))
        self._env = env
        self._fixed = tuple(v.strip() for v in secret_values if len(v.strip()) >= MIN_SECRET_CHARS)

    def text(self, text: str) -> str:
        return _text(text, self._secret_values())

    def value(self, value: Any) -> Any:
        """A copy of `value` (dicts, lists, tuples, strings, scalars) with secrets redacted.
        The secrets' values are read once for the whole value, not once per string in it."""
        return _value(value, self._secret_values())

    def _secret_values(self) -> list[str]:
        values = [self._env.getenv(name) or "" for name in self._secret_envs]
        values += self._fixed
        # Longest first: a key that contains another is replaced whole.
        return sorted((v for v in values if len(v) >= MIN_SECRET_CHARS), key=len, reverse=True)


def _text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    # A replacement only takes words away ([REDACTED] is none of them): one look suffices.
    folded = text if text.isascii() else text.translate(_ASCII_FOLD)
    keyed = _KEYED.search(folded.lower()) is not None
    shapes = _SHAPES if keyed else _SHAPES[_KEYED_SHAPES:]
    for shape, replacement in shapes:
        text = shape.sub(replacement, text)
    return _BASE64_RUN.sub(_base64_replacement, text)


def _value(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return _text(value, secrets)
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if isinstance(key, str) and is_secret_key(key) and item not in (None, "")
            else _value(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_value(item, secrets) for item in value]
    return value


def _base64_replacement(match: re.Match[str]) -> str:
    run = match[0]
    mixed = (
        any(c.islower() for c in run)
        and any(c.isupper() for c in run)
        and any(c.isdigit() for c in run)
    )
    return REDACTED if mixed else run
