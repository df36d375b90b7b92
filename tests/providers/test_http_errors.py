from __future__ import annotations

import email.utils

from zeroclaw.messages import ToolCall
from zeroclaw.providers.http_errors import parse_retry_after, status_error
from zeroclaw.tool_arguments import (
    INVALID_ARGUMENTS_KEY,
    arguments_to_wire,
    invalid_arguments,
    parse_tool_arguments,
)

NOW = 1_700_000_000.0


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5


def test_retry_after_as_an_http_date() -> None:
    date = email.utils.formatdate(NOW + 30, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=NOW) == 30.0


def test_retry_after_in_the_past_means_now() -> None:
    date = email.utils.formatdate(NOW - 30, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=NOW) == 0.0


def test_retry_after_ms_wins() -> None:
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25


def test_missing_or_unreadable_retry_after() -> None:
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None


def test_status_error_classification() -> None:
    def classify(status: int, body: object = None) -> bool:
        error = status_error("p", status=status, headers={}, body=body, fallback="x")
        return error.retryable

    assert [classify(s) for s in (408, 409, 429, 500, 502, 529)] == [True] * 6
    assert [classify(s) for s in (400, 401, 403, 404, 422)] == [False] * 5
    # An error event inside a stream keeps the stream's 200 status: its type decides.
    assert classify(200, {"type": "error", "error": {"type": "overloaded_error"}}) is True
    assert classify(200, {"type": "error", "error": {"type": "invalid_request_error"}}) is False


def test_retry_after_only_on_retryable_errors() -> None:
    headers = {"retry-after": "4"}
    assert status_error("p", status=429, headers=headers, body=None, fallback="").retry_after == 4
    assert (
        status_error("p", status=400, headers=headers, body=None, fallback="").retry_after is None
    )


def test_server_message_is_preferred_over_the_fallback() -> None:
    nested = status_error(
        "p", status=400, headers={}, body={"error": {"message": "bad field"}}, fallback="raw"
    )
    flat = status_error("p", status=400, headers={}, body={"message": "flat"}, fallback="raw")
    none = status_error("p", status=400, headers={}, body=None, fallback="raw text")
    assert nested.message == "provider 'p': HTTP 400: bad field"
    assert flat.message.endswith("flat")
    assert none.message.endswith("raw text")


def test_tool_arguments_parse_objects_and_keep_anything_else_raw() -> None:
    assert parse_tool_arguments('{"a": 1}') == {"a": 1}
    assert parse_tool_arguments("") == {}
    assert parse_tool_arguments(None) == {}
    assert parse_tool_arguments('{"a": ') == {INVALID_ARGUMENTS_KEY: '{"a": '}
    assert parse_tool_arguments("[1]") == {INVALID_ARGUMENTS_KEY: "[1]"}


def test_invalid_arguments_round_trip_to_the_wire() -> None:
    broken = ToolCall("c", "f", parse_tool_arguments("{oops"))
    fine = ToolCall("c", "f", {"b": 2, "a": 1})
    assert invalid_arguments(broken.arguments) == "{oops"
    assert invalid_arguments(fine.arguments) is None
    assert arguments_to_wire(broken) == "{oops"
    assert arguments_to_wire(fine) == '{"a": 1, "b": 2}'
