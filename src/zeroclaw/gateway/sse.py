"""How the gateway's streams go out: server-sent events through sse-starlette.

One response type for both streaming endpoints, so both behave alike on the wire:
  - a keep-alive comment (`: ping`) every `PING_S` seconds while a turn is quiet (a tool
    running, a slow model), so proxies and clients do not time the connection out;
  - disconnect detection: when the client goes away, sse-starlette cancels the event
    generator, and the generator cancels the turn (turn_stream.turn_deltas);
  - on a server stop, a stream in flight gets `gateway.shutdown_grace_s` to finish, the
    same grace as every other request, before it is cancelled.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final

from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent

# sse-starlette's default, and what common proxies tolerate (nginx's read timeout is 60s).
PING_S: Final = 15.0
# Lines end in LF, as OpenAI's streams do (sse-starlette's default is CRLF).
SEP: Final = "\n"


def event(data: BaseModel | Mapping[str, Any] | str, *, name: str | None = None) -> ServerSentEvent:
    """One event: a model as its JSON (the fields it was given: OpenAI omits unset ones,
    such as a delta's role after the first chunk), a JSON object, or a literal data line
    such as `[DONE]`."""
    if isinstance(data, BaseModel):
        # serialize_as_any: a subclass (our `zeroclaw` extension) keeps its own fields.
        payload = data.model_dump_json(exclude_unset=True, serialize_as_any=True)
    elif isinstance(data, str):
        payload = data
    else:
        payload = json.dumps(data, ensure_ascii=False)
    return ServerSentEvent(data=payload, event=name, sep=SEP)


def event_stream(
    events: AsyncIterator[ServerSentEvent],
    *,
    headers: Mapping[str, str],
    grace_s: float,
) -> EventSourceResponse:
    return EventSourceResponse(
        events,
        headers={"Cache-Control": "no-cache", **headers},
        ping=PING_S,
        sep=SEP,
        shutdown_grace_period=grace_s,
    )
