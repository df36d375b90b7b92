"""The root of ZeroClaw's error types.

Every error a user can meet carries a message that says what is wrong and, where we know
it, a hint that says how to fix it. The CLI prints both and exits non-zero; it never
shows a traceback for a `ZeroClawError`.
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
