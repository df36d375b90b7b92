"""The one grammar of session ids, for every route that takes one.

A session id is written by one request and read back by another, in a URL path
(`GET /api/sessions/{id}`). An id with `/` can never be read there (the path splits),
and `.` or `..` are rewritten by clients before they are sent, so such ids were stored
and then lost. The grammar admits only ids that survive a URL path untouched:

    1 to 200 characters of letters, digits and . _ - : @, starting with a letter or digit

(`alice@example.com`, `team:alpha`, `ops-chat_2`, and the gateway's own `openai-<hex>`).
Every way a session id comes in (the `session_id` body field, `X-Session-Id`, the path,
and `user` when it stands for the session) is checked with `session_id_problem`, so they
cannot disagree. A refused id is a 400 `invalid_session_id`, before anything is stored.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

SESSION_ID_MAX = 200
SESSION_ID_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._:@-]{{0,{SESSION_ID_MAX - 1}}}$"
SESSION_ID_GRAMMAR = (
    f"1 to {SESSION_ID_MAX} characters of letters, digits and . _ - : @, "
    "starting with a letter or digit"
)
# The error type pydantic reports for an id outside the grammar; errors.py maps it to 400.
ERROR_TYPE = "session_id"

_GRAMMAR = re.compile(SESSION_ID_PATTERN)
_SHOWN = 40  # characters of a refused id repeated in the error


def session_id_problem(value: str) -> str | None:
    """What is wrong with `value` as a session id, in one line; None: nothing."""
    if _GRAMMAR.match(value):
        return None
    shown = value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
    return f"{shown!r} is not a session id: use {SESSION_ID_GRAMMAR}"


def _check(value: str) -> str:
    problem = session_id_problem(value)
    if problem is not None:
        # The problem is the template: braces in a refused id must not be read as fields.
        raise PydanticCustomError(ERROR_TYPE, "{problem}", {"problem": problem})
    return value


SessionId = Annotated[
    str,
    AfterValidator(_check),
    Field(
        description=f"A session id: {SESSION_ID_GRAMMAR}.",
        json_schema_extra={"pattern": SESSION_ID_PATTERN, "maxLength": SESSION_ID_MAX},
    ),
]
