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

A line shows at most `max_chars` of a string (`Redactor.cut`), and a tool's output can be
a megabyte, redacted on the event loop: only the string's start is redacted, a window of
`max_chars + CUT_MARGIN` characters (and the secrets' lengths). The rule that keeps the
cut from showing anything the whole string's redaction hides: after each step (a secret
by value, a shape) the window is a prefix of what that step makes of the whole string,
because what the text past the window could change is dropped or redacted to the end:
- the window never ends inside a run of the characters a shape's run is made of (a key,
  a JWT, a hex or base64 run, a header value): such a run is dropped whole, since what
  follows it decides whether it is a secret (a base64 run's mix, a hex run's end);
- a secret by value that the window's end cuts may begin in its last `len - 1`
  characters: they are dropped;
- a shape that reads on to the window's end (a quoted value whose closing quote is past
  it, an unquoted value; a `key: Bearer` followed by nothing but whitespace, where the
  look-ahead for `Bearer [REDACTED]` reads on) is redacted from where its secret starts
  to the end, and the line says `[REDACTED]` for all that follows.
So the line shows the start of what the whole redaction shows, sometimes less of it, then
maybe `[REDACTED]`; tests/observability/test_redaction_cut.py checks it on generated
texts against the whole redaction. `N more chars` counts the original string's characters
that the line does not show.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, NamedTuple

from zeroclaw.named_env import ENVIRONMENT_ONLY, NamedEnv

REDACTED: Final = "[REDACTED]"
# How far past the cut a string is redacted (see the module's docstring): room for the
# run the window's end falls in, which is dropped, and for a shape that begins before the
# cut and ends after it.
CUT_MARGIN: Final = 1024
# Every character a shape's run may hold (a key, a JWT, a hex or base64 run, a header's
# value; with the four that case-insensitive patterns read as ASCII letters): a window
# never ends inside such a run, where what follows could decide the match.
_RUN_CHARS: Final = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-\u0130\u0131\u017f\u212a"
)

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


class _Shape(NamedTuple):
    """A credential's shape and what of its match the redaction keeps: groups 1..keep
    (they start the match and say what the secret was) and, if `close`, the match's last
    character (a closing quote). `window` is the pattern for the start of a longer text
    (it also takes what the window's end leaves open); `ahead`, the secrets the pattern's
    look-ahead reads on from, through whitespace."""

    pattern: re.Pattern[str]
    replacement: str
    keep: int
    close: bool
    window: re.Pattern[str]
    ahead: re.Pattern[str] | None


def _shape(
    pattern: str, keep: int = 0, close: bool = False, window: str = "", ahead: str = ""
) -> _Shape:
    kept = "".join(rf"\{group}" for group in range(1, keep + 1))
    closing = rf"\{keep}" if close else ""
    compiled = re.compile(pattern)
    return _Shape(
        compiled,
        f"{kept}{REDACTED}{closing}",
        keep,
        close,
        re.compile(window) if window else compiled,
        re.compile(ahead) if ahead else None,
    )


# The quoted value once more, for a window: a value whose closing quote the window does
# not hold is read to the window's end (before the line's last quote, which the window
# may not hold either).
_QUOTED_OPEN = r"""(?:(?:\\.|(?!\2)[^\\\n])*+\2|[^\n]*+\Z|[^\n]*\2)"""
_QUOTED_KEY = rf"""(?i)(["']?{_KEY_NAME}\b["']?\s*[:=]\s*)(["'])"""
_SCHEMES = "(?:Bearer|Basic|Token)"
# The shapes in order; each keeps what says what the secret was.
_SHAPES: Final = (
    # Authorization header values: keep the scheme.
    _shape(r"(?i)\b((?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=-]{8,}", keep=1),
    # "key": "value" and key='value' where the key names a secret: the whole quoted value.
    _shape(_QUOTED_KEY + _QUOTED_REST, keep=2, close=True, window=_QUOTED_KEY + _QUOTED_OPEN),
    # key=value, key: value unquoted: up to the next space or separator (a value the
    # header rule above already redacted is left as it is).
    _shape(
        rf"(?i)({_KEY_NAME}\b\s*[:=]\s*)"
        rf"(?!{_SCHEMES}\s+\[REDACTED\])[^\s\"',;&}}}}]+",
        keep=1,
        ahead=rf"(?i){_SCHEMES}",
    ),
    # Provider keys: OpenAI/Anthropic/OpenRouter (sk-...), GitHub, Slack, AWS, Google.
    _shape(r"\bsk-[A-Za-z0-9_-]{12,}"),
    _shape(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    _shape(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    _shape(r"\bAKIA[0-9A-Z]{16}\b"),
    _shape(r"\bAIza[0-9A-Za-z_-]{30,}"),
    # JSON Web Tokens: from the first `eyJ` of a run (group 1 keeps what comes before it).
    _shape(
        rf"(?<!{_JWT_CHAR})(?>({_JWT_CHAR}*?)\beyJ)"
        rf"{_JWT_CHAR}{{8,}}+\.{_JWT_CHAR}{{8,}}+\.{_JWT_CHAR}*+",
        keep=1,
    ),
    # Long hex runs (keys, HMACs; also hashes: an audit log loses little by that).
    _shape(r"\b[0-9a-fA-F]{32,}\b"),
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

    def cut(self, value: Any, max_chars: int) -> Any:
        """`value` as a line shows it: a copy with secrets redacted and every string cut to
        `max_chars`, then `… [N more chars]` (N: the string's characters not shown). Only
        what the cut can keep is redacted (see the module's docstring)."""
        return _value(value, self._secret_values(), max_chars)

    def _secret_values(self) -> list[str]:
        values = [self._env.getenv(name) or "" for name in self._secret_envs]
        values += self._fixed
        # Longest first: a key that contains another is replaced whole.
        return sorted((v for v in values if len(v) >= MIN_SECRET_CHARS), key=len, reverse=True)


def _text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    # A replacement only takes words away ([REDACTED] is none of them): one look suffices.
    for shape in _SHAPES if _keyed(text) else _SHAPES[_KEYED_SHAPES:]:
        text = shape.pattern.sub(shape.replacement, text)
    return _BASE64_RUN.sub(_base64_replacement, text)


def _keyed(text: str) -> bool:
    """Whether `text` may hold a shape keyed by a secret's word (see `_KEYED`)."""
    folded = text if text.isascii() else text.translate(_ASCII_FOLD)
    return _KEYED.search(folded.lower()) is not None


def _value(value: Any, secrets: list[str], max_chars: int | None = None) -> Any:
    """`value` redacted, and its strings cut to `max_chars` if it is given."""
    if isinstance(value, str):
        return _text(value, secrets) if max_chars is None else _cut(value, secrets, max_chars)
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if isinstance(key, str) and is_secret_key(key) and item not in (None, "")
            else _value(item, secrets, max_chars)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_value(item, secrets, max_chars) for item in value]
    return value


def _base64_replacement(match: re.Match[str]) -> str:
    return REDACTED if _mixed(match[0]) else match[0]


def _mixed(run: str) -> bool:
    return (
        any(c.islower() for c in run)
        and any(c.isupper() for c in run)
        and any(c.isdigit() for c in run)
    )


def _cut(text: str, secrets: list[str], max_chars: int, margin: int = CUT_MARGIN) -> str:
    """`text` redacted and cut to `max_chars`, then `… [N more chars]` if it was cut."""
    if len(text) <= max_chars:
        redacted = _text(text, secrets)
        if len(redacted) <= max_chars:
            return redacted
    return _redacted_window(text, secrets, max_chars + margin).cut(max_chars)


def _redacted_window(text: str, secrets: list[str], size: int) -> _Window:
    """The redaction of `text`'s first `size` characters (and the secrets' lengths), as
    `_text` redacts a whole text."""
    window = _Window(text, size + sum(map(len, secrets)))
    for secret in secrets:
        window.replace(_occurrences(window.text, secret), undecided=len(secret) - 1)
    for shape in _SHAPES if _keyed(window.text) else _SHAPES[_KEYED_SHAPES:]:
        window.replace(window.matches(shape))
    window.replace(window.base64_runs())
    return window


# One replacement in a window: text[start:end] -> what (and, if `open`, the window's rest).
class _Replacement(NamedTuple):
    start: int
    end: int
    what: str
    open: bool = False


class _Window:
    """The start of a long text, redacted step by step as `_text` redacts a whole text,
    keeping where each step replaced what, to count the characters a cut drops. `text` is
    always a prefix of what the same steps make of the whole text (see the module's
    docstring); `open` says that the whole text's redaction reaches past it."""

    def __init__(self, text: str, size: int) -> None:
        self.length = len(text)
        self.whole = size >= len(text)
        self.text = text
        self.open = False
        # Per step: (the output start, the output end, the input start, the input end)
        # of each replacement, in order.
        self._steps: list[list[tuple[int, int, int, int]]] = []
        if not self.whole:
            self._drop_last(len(text) - size)

    def matches(self, shape: _Shape) -> Iterator[_Replacement]:
        pattern = shape.pattern if self.whole else shape.window
        # Past here, only whitespace: a look-ahead through it reads on to the window's end.
        blank = len(self.text.rstrip())
        for match in pattern.finditer(self.text):
            start = match.end(shape.keep) if shape.keep else match.start()
            if not self.whole and self._reads_past(shape, match, start, blank):
                yield _Replacement(start, len(self.text), "", open=True)
                return
            stop = match.end() - 1 if shape.close else match.end()
            yield _Replacement(start, stop, REDACTED)

    def _reads_past(self, shape: _Shape, match: re.Match[str], start: int, blank: int) -> bool:
        """Whether what lies past the window could change `match`: it ends at the window's
        end, or its look-ahead reads on from its secret through whitespace to the end."""
        if match.end() == len(self.text):
            return True
        return (
            match.end() >= blank
            and shape.ahead is not None
            and shape.ahead.fullmatch(self.text, start, match.end()) is not None
        )

    def base64_runs(self) -> Iterator[_Replacement]:
        for match in _BASE64_RUN.finditer(self.text):
            if _mixed(match[0]):
                yield _Replacement(match.start(), match.end(), REDACTED)

    def replace(self, replacements: Iterable[_Replacement], undecided: int = 0) -> None:
        """Make the replacements; then, unless the window holds the whole text, drop its
        last `undecided` characters (where a secret the window's end cuts short may begin)
        and the run of `_RUN_CHARS` it ends with."""
        parts: list[str] = []
        step: list[tuple[int, int, int, int]] = []
        done = out = 0
        for replacement in replacements:
            parts.append(self.text[done : replacement.start])
            out += replacement.start - done
            step.append((out, out + len(replacement.what), replacement.start, replacement.end))
            parts.append(replacement.what)
            out += len(replacement.what)
            done = replacement.end
            if replacement.open:
                self.open = True
        parts.append(self.text[done:])
        self.text = "".join(parts)
        self._steps.append(step)
        if not self.whole:
            self._drop_last(undecided)

    def cut(self, max_chars: int) -> str:
        """The redacted text as a line shows it: cut to `max_chars`, and how many of the
        original text's characters are not shown."""
        if self.whole and len(self.text) <= max_chars:
            return self.text
        shown = min(len(self.text), max_chars)
        rest = self.length - self.source_position(shown)
        text = self.text + REDACTED if self.open else self.text
        return f"{text[:max_chars]}… [{rest} more chars]"

    def _drop_last(self, count: int) -> None:
        """Drop the last `count` characters, then the run of `_RUN_CHARS` the text ends
        with, and never end in the middle of a [REDACTED] (a look-ahead for one must see
        it whole)."""
        stop = max(len(self.text) - count, 0)
        token = self.text.find(REDACTED, max(stop - len(REDACTED) + 1, 0), stop + len(REDACTED))
        if token != -1 and token < stop:
            stop = token
        self.text = self.text[:stop].rstrip(_RUN_CHARS)

    def source_position(self, position: int) -> int:
        """Where the original text's character shown at `position` came from (a position
        inside a replacement counts from its start: the secret is not shown)."""
        for step in reversed(self._steps):
            index = bisect_left(step, position, key=lambda r: r[0]) - 1
            if index < 0:
                continue
            _, out_end, in_start, in_end = step[index]
            position = in_start if position < out_end else in_end + position - out_end
        return position


def _occurrences(text: str, secret: str) -> Iterator[_Replacement]:
    """Where `str.replace` would replace `secret` in `text`."""
    at = text.find(secret)
    while at != -1:
        yield _Replacement(at, at + len(secret), REDACTED)
        at = text.find(secret, at + len(secret))
