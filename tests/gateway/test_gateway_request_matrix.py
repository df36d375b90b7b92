"""Every way a request to the OpenAI endpoints can be wrong, answered exactly as recorded.

The recorded answers (status, error body, the headers a client acts on) are in
`request_matrix.json`, written from the gateway as FastAPI's dependency solving served
these routes, before the routes read their body, caller and `X-Session-Id` themselves
(gateway/direct_route.py): the order of the checks (a body that is not JSON is a 400
before the token is looked at; a missing token is a 401 before a wrong type is a 422;
413 from the body limit before anything) and every message must stay as it was. The
OpenAPI operations of both routes are recorded too: the schema must still document the
body and the header.

To record them again after a deliberate change of an answer:
`ZEROCLAW_RECORD_MATRIX=1 python -m pytest tests/gateway/test_gateway_request_matrix.py`,
then read the diff of the JSON file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_harness import TOKEN, Gateway, make_config, running_gateway

from zeroclaw.config import Config

RECORDED = Path(__file__).with_name("request_matrix.json")
RECORDING = os.environ.get("ZEROCLAW_RECORD_MATRIX") == "1"
JSON = "application/json"
# The headers of an answer a client acts on (the others are the server's).
KEPT_HEADERS = ("content-type", "www-authenticate", "connection", "retry-after")
MAX_BODY = 4096

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
USER = {"role": "user", "content": "hi"}
GOOD_CHAT: dict[str, Any] = {"model": "zeroclaw", "messages": [USER]}
GOOD_RESPONSE: dict[str, Any] = {"model": "zeroclaw", "input": "hi"}
GOOD = {CHAT: GOOD_CHAT, RESPONSES: GOOD_RESPONSE}


def _case(
    body: Any = None,
    *,
    raw: bytes | None = None,
    auth: str | None = f"Bearer {TOKEN}",
    content_type: str | None = JSON,
    headers: list[tuple[str, str]] | None = None,
    chunked: bool = False,
) -> dict[str, Any]:
    return {
        "body": body,
        "raw": raw,
        "auth": auth,
        "content_type": content_type,
        "headers": headers or [],
        "chunked": chunked,
    }


def _cases(path: str) -> dict[str, dict[str, Any]]:
    good = GOOD[path]
    bad_types = (
        {"model": "zeroclaw", "messages": "hi", "stream": "yes"}
        if path == CHAT
        else {"model": "zeroclaw", "input": 5, "stream": "yes"}
    )
    out_of_range = {**good, "temperature": 2.5}
    return {
        "no auth": _case(good, auth=None),
        "no auth, streaming": _case({**good, "stream": True}, auth=None),
        "wrong token": _case(good, auth="Bearer zc_not-a-token"),
        "not a bearer token": _case(good, auth=f"Basic {TOKEN}"),
        "bearer without a token": _case(good, auth="Bearer"),
        "bad JSON": _case(raw=b'{"model": "zeroclaw", "messages": [', auth=None),
        "bad JSON, authenticated": _case(raw=b'{"model": "zeroclaw",}'),
        "not UTF-8": _case(raw=b'{"model": "\xff\xfe"}'),
        "not UTF-8, no auth": _case(raw=b'{"model": "\xff\xfe"}', auth=None),
        "nested too deep": _case(raw=b"[" * 2000 + b"]" * 2000),
        "empty body": _case(raw=b""),
        "empty body, no auth": _case(raw=b"", auth=None),
        "no content type": _case(good, content_type=None),
        "text/plain": _case(good, content_type="text/plain"),
        "a +json content type": _case(good, content_type="application/merge-patch+json"),
        "json with charset": _case(good, content_type="application/json; charset=utf-8"),
        "a JSON array": _case([good]),
        "a JSON string": _case("hi"),
        "JSON null": _case(raw=b"null"),
        "wrong types": _case(bad_types),
        "wrong types, no auth": _case(bad_types, auth=None),
        "wrong types, streaming": _case({**bad_types, "stream": True}),
        "missing fields": _case({"model": "zeroclaw"}),
        "empty model": _case({**good, "model": ""}),
        "out of range": _case(out_of_range),
        "out of range and wrong type": _case({**out_of_range, "top_p": "x"}),
        "unknown model": _case({**good, "model": "nonesuch/model"}),
        "unknown model, streaming": _case({**good, "model": "nonesuch/model", "stream": True}),
        "unknown parameter": _case({**good, "frobnicate": 1}),
        "too many messages": _case(
            {"model": "zeroclaw", "messages": [USER] * 6}
            if path == CHAT
            else {"model": "zeroclaw", "input": [USER] * 6}
        ),
        "oversize, declared": _case({**good, "pad": "x" * MAX_BODY}),
        "oversize, chunked": _case({**good, "pad": "x" * MAX_BODY}, chunked=True),
        "oversize, no auth": _case({**good, "pad": "x" * MAX_BODY}, auth=None),
        "bad session header": _case(good, headers=[("X-Session-Id", "a/b")]),
        "empty session header": _case(good, headers=[("X-Session-Id", "")]),
        "bad session header, streaming": _case(
            {**good, "stream": True}, headers=[("X-Session-Id", "../x")]
        ),
        "bad session header, no auth": _case(good, auth=None, headers=[("X-Session-Id", "a/b")]),
        "bad session header and wrong types": _case(bad_types, headers=[("X-Session-Id", "a/b")]),
        "bad session header and out of range": _case(
            out_of_range, headers=[("X-Session-Id", "a/b")]
        ),
        "bad session header and body": _case(
            {**good, "session_id": "{x}"}, headers=[("X-Session-Id", "a b")]
        ),
        "bad session id in the body": _case({**good, "session_id": "a/b"}),
        "bad user": _case({**good, "user": "a b"}),
        "two session headers, the first bad": _case(
            good, headers=[("X-Session-Id", "a/b"), ("X-Session-Id", "fine")]
        ),
        "bad JSON and bad session header": _case(raw=b"{", headers=[("X-Session-Id", "a/b")]),
    }


CASES = [(path, name) for path in (CHAT, RESPONSES) for name in _cases(path)]


@pytest.fixture(scope="module")
def matrix_gateway(tmp_path_factory: pytest.TempPathFactory) -> Any:
    config: Config = make_config(tmp_path_factory.mktemp("matrix"))
    config.gateway.max_body_bytes = MAX_BODY
    config.gateway.max_messages = 5
    with running_gateway(config) as running:
        yield running


@pytest.fixture(scope="module")
def answers(matrix_gateway: Gateway) -> Any:
    recorded: dict[str, Any] = {} if RECORDING else json.loads(RECORDED.read_text())
    yield recorded
    if RECORDING:
        RECORDED.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")


def _send(gateway: Gateway, path: str, case: dict[str, Any]) -> httpx.Response:
    headers: list[tuple[str, str]] = []
    if case["auth"] is not None:
        headers.append(("Authorization", case["auth"]))
    if case["content_type"] is not None:
        headers.append(("Content-Type", case["content_type"]))
    headers += case["headers"]
    raw: bytes = case["raw"] if case["raw"] is not None else json.dumps(case["body"]).encode()
    content: Any = raw
    if case["chunked"]:

        def chunks() -> Any:
            yield raw[:100]
            yield raw[100:]

        content = chunks()
    with httpx.Client(base_url=gateway.base_url, timeout=30) as client:
        return client.post(path, content=content, headers=headers)


def _answer(response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 200:
        # A turn that ran: its ids are new each time; what it was given shows in the headers.
        body: Any = None
    else:
        body = response.json()
    return {
        "status": response.status_code,
        "body": body,
        "headers": {name: response.headers.get(name) for name in KEPT_HEADERS},
    }


@pytest.mark.parametrize(("path", "name"), CASES)
def test_a_bad_request_is_answered_as_recorded(
    matrix_gateway: Gateway, answers: dict[str, Any], path: str, name: str
) -> None:
    response = _send(matrix_gateway, path, _cases(path)[name])
    got = _answer(response)
    key = f"{path} {name}"
    if RECORDING:
        answers[key] = got
        return
    assert got == answers[key], response.text


@pytest.mark.parametrize("path", [CHAT, RESPONSES])
@pytest.mark.parametrize("stream", [False, True])
def test_a_good_request_names_its_session(matrix_gateway: Gateway, path: str, stream: bool) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Session-Id": f"matrix-{stream}"}
    with httpx.Client(base_url=matrix_gateway.base_url, timeout=30) as client:
        response = client.post(path, json={**GOOD[path], "stream": stream}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["x-session-id"] == f"matrix-{stream}"
    kind = "text/event-stream" if stream else JSON
    assert response.headers["content-type"].startswith(kind)


@pytest.mark.parametrize("path", [CHAT, RESPONSES])
def test_the_openapi_operation_is_as_recorded(
    matrix_gateway: Gateway, answers: dict[str, Any], path: str
) -> None:
    with httpx.Client(base_url=matrix_gateway.base_url, timeout=30) as client:
        schema = client.get("/openapi.json").json()
    operation = schema["paths"][path]["post"]
    key = f"openapi {path}"
    if RECORDING:
        answers[key] = operation
        return
    assert operation == answers[key]
    # The body's model is still a component of the document.
    ref = operation["requestBody"]["content"][JSON]["schema"]["$ref"]
    assert ref.rpartition("/")[2] in schema["components"]["schemas"]
