"""`previous_response_id` onto sessions: which conversation a Responses request continues.

Every response the gateway answers with is recorded in the memory database (table
`responses`: id -> session), so it can be continued after a restart and by another
replica on the same database. A request that names a previous response continues that
response's session:

  - an id this gateway never answered with is a 400 `previous_response_not_found`, as
    OpenAI answers it;
  - a session is one line of turns, so only its latest response can be continued; an
    earlier one (a fork, which OpenAI allows) is a 400 `invalid_value` naming the latest;
  - a session named as well (X-Session-Id, session_id) must be that same session.
"""

from __future__ import annotations

from zeroclaw.agent import TurnResult
from zeroclaw.gateway.errors import InvalidValue, PreviousResponseNotFound, StorageUnavailable
from zeroclaw.memory import MemoryStore, MemoryStoreError


async def continued_session(
    memory: MemoryStore, previous_response_id: str | None, *, named: str | None
) -> str | None:
    """The session `previous_response_id` continues (None: the request starts one)."""
    if previous_response_id is None:
        return None
    session = await memory.response_session(previous_response_id)
    if session is None:
        raise PreviousResponseNotFound(previous_response_id)
    if named is not None and named != session:
        raise InvalidValue(
            f"previous_response_id {previous_response_id!r} is a response of session "
            f"{session!r}, not of {named!r} (the session the request names): send one of "
            "them, or both for the same session",
            param="previous_response_id",
        )
    latest = await memory.latest_response(session)
    if latest != previous_response_id:
        raise InvalidValue(
            f"previous_response_id {previous_response_id!r} is not the latest response of "
            f"its conversation (the latest is {latest!r}): a conversation here is one line "
            "of turns, so continue from the latest response, or leave previous_response_id "
            "out to start a new one",
            param="previous_response_id",
        )
    return session


async def record_response(memory: MemoryStore, response_id: str, result: TurnResult) -> None:
    """`response_id` answered a turn of `result.session_id`: it can be continued now."""
    try:
        await memory.record_response(response_id, result.session_id)
    except MemoryStoreError as error:
        raise StorageUnavailable(error) from error
