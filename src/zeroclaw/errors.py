"""The root of ZeroClaw's error types.

Every error a user can meet carries a message that says what is wrong and, where we know
it, a hint that says how to fix it. The CLI prints both and exits non-zero; it never
shows a traceback for a `ZeroClawError`. A log line that reports an error (a failing hook
handler, a plugin call) uses `error_line`: the type, the message and the hint on one line,
with the traceback left to debug logging.
"""


class ZeroClawError(Exception):
    """An error with a user-facing message and an optional fix."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


def error_line(error: BaseException) -> str:
    """`error` on one line: its type, its message and, for a ZeroClawError, its hint."""
    if isinstance(error, ZeroClawError):
        text = error.message if not error.hint else f"{error.message} (hint: {error.hint})"
    else:
        text = str(error)
    text = " ".join(text.split())
    name = type(error).__name__
    return f"{name}: {text}" if text else name
