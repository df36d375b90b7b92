"""The audit log of a real gateway: a request without a valid token writes an
auth_failure line (who, which path, whether a token came, never the token), a refused
pairing code writes one too (surface "pairing": a wrong code, a used one, pairing off;
never the code), and a tool call of a chat turn writes its line like any other."""

from __future__ import annotations

import json
from typing import Any

from gateway_harness import TOKEN, Gateway, running_gateway

from zeroclaw.config import Config

WRONG = "zc_not-the-right-token-at-all"
WRONG_CODE = "ZZZZ-ZZZZ"


def audit_lines(config: Config, kind: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in config.audit_path.read_text().splitlines()]
    return [line for line in lines if line["event"] == kind]


def test_refused_credentials_write_their_lines(gateway: Gateway, config: Config) -> None:
    with gateway.client(token=None) as anonymous:
        assert anonymous.get("/v1/models").status_code == 401
    with gateway.client(token=WRONG) as wrong:
        assert wrong.post("/webhook", json={"message": "hi"}).status_code == 401
    with gateway.client() as right:
        assert right.get("/v1/models").status_code == 200

    failures = audit_lines(config, "auth_failure")
    assert [(f["surface"], f["path"], f["reason"]) for f in failures] == [
        ("gateway", "/v1/models", "no bearer token"),
        ("gateway", "/webhook", "invalid bearer token"),
    ]
    assert failures[0]["client"].startswith("127.0.0.1:")
    text = config.audit_path.read_text()
    assert WRONG not in text
    assert TOKEN not in text


def test_a_chat_turns_tool_call_writes_its_line(gateway: Gateway, config: Config) -> None:
    (config.workspace / "n.txt").write_text("note")
    chat = gateway.openai().chat.completions.create(
        model="offline", messages=[{"role": "user", "content": '/tool file_read {"path": "n.txt"}'}]
    )
    assert chat.choices[0].message.content

    (call,) = audit_lines(config, "tool_call_finished")
    assert (call["tool"], call["owner"], call["result"]["output"]) == (
        "file_read",
        "native",
        "note",
    )


def test_refused_pairing_codes_write_their_lines(config: Config) -> None:
    with running_gateway(config) as gateway:
        code = gateway.state.pairing.code
        with gateway.client(token=None) as http:
            assert http.post("/pair", json={"code": WRONG_CODE}).status_code == 403
            assert http.post("/pair", json={"code": code}).status_code == 200
            assert http.post("/pair", json={"code": code}).status_code == 403

    refusals = audit_lines(config, "auth_failure")
    assert [(r["surface"], r["path"], r["reason"]) for r in refusals] == [
        ("pairing", "/pair", "wrong pairing code"),
        ("pairing", "/pair", "the pairing code was already used (or burned)"),
    ]
    assert all(r["client"].startswith("127.0.0.1:") for r in refusals)
    text = config.audit_path.read_text()
    assert WRONG_CODE not in text
    assert code not in text


def test_pairing_when_it_is_off_writes_its_line(config: Config) -> None:
    config.gateway.pairing = False
    with running_gateway(config) as gateway, gateway.client(token=None) as http:
        assert http.post("/pair", json={"code": WRONG_CODE}).status_code == 404

    (refusal,) = audit_lines(config, "auth_failure")
    assert (refusal["surface"], refusal["reason"]) == ("pairing", "pairing is off")
