"""Tokens, pairing, and the endpoints open without a token (/health, /openapi.json)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from gateway_harness import TOKEN, Gateway, running_gateway

from zeroclaw.config import Config
from zeroclaw.gateway.auth import TokenAuthenticator, bearer_token, hash_token
from zeroclaw.gateway.pairing import MAX_FAILED_ATTEMPTS, Pairing, PairingCodeError


@pytest.fixture
def pairing_gateway(config: Config) -> Iterator[Gateway]:
    config.gateway.tokens = []
    config.gateway.pairing = True
    with running_gateway(config) as running:
        yield running


def test_pairing_code_buys_one_working_token(pairing_gateway: Gateway) -> None:
    code = pairing_gateway.state.pairing.code
    with pairing_gateway.client(token=None) as anonymous:
        assert anonymous.get("/v1/models").status_code == 401
        paired = anonymous.post("/pair", json={"code": code.lower().replace("-", " ")})
        again = anonymous.post("/pair", json={"code": code})

    assert paired.status_code == 200, paired.text
    token = paired.json()["token"]
    assert paired.json()["token_type"] == "bearer"
    assert again.status_code == 403
    assert "already used" in again.json()["error"]["message"]

    reply = pairing_gateway.openai(token=token).chat.completions.create(
        model="zeroclaw", messages=[{"role": "user", "content": "paired"}]
    )
    assert "paired" in (reply.choices[0].message.content or "")


def test_wrong_pairing_codes_burn_the_code(pairing_gateway: Gateway) -> None:
    code = pairing_gateway.state.pairing.code
    with pairing_gateway.client(token=None) as anonymous:
        for _ in range(MAX_FAILED_ATTEMPTS):
            wrong = anonymous.post("/pair", json={"code": "AAAA-AAAA"})
            assert wrong.status_code == 403
        late = anonymous.post("/pair", json={"code": code})

    assert late.status_code == 403
    assert "burned" in late.json()["error"]["message"]


def test_pairing_off_is_404(gateway: Gateway) -> None:
    gateway.state.pairing = None
    with gateway.client(token=None) as anonymous:
        response = anonymous.post("/pair", json={"code": "ABCD-EFGH"})
    assert response.status_code == 404
    assert "gateway.pairing" in response.json()["error"]["message"]


def test_env_token_is_accepted(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    config.gateway.tokens = []
    monkeypatch.setenv("ZEROCLAW_GATEWAY_TOKEN", "from-the-env")
    with running_gateway(config) as gateway:
        models = gateway.openai(token="from-the-env").models.list()
        with pytest.raises(openai.AuthenticationError):
            gateway.openai(token=TOKEN).models.list()
    assert models.data


def test_health_needs_no_token_and_shows_no_secret(pairing_gateway: Gateway) -> None:
    response = httpx.get(f"{pairing_gateway.base_url}/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body) == {"status", "version", "uptime_s"}
    assert pairing_gateway.state.pairing.code not in response.text


def test_metrics_need_a_token_and_show_zeroclaw_metrics(gateway: Gateway) -> None:
    gateway.openai().chat.completions.create(
        model="zeroclaw", messages=[{"role": "user", "content": "count me"}]
    )
    with gateway.client() as http, gateway.client(token=None) as anonymous:
        assert anonymous.get("/metrics").status_code == 401
        metrics = http.get("/metrics")

    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'zeroclaw_turns_total{outcome="answer"} 1.0' in metrics.text
    assert "zeroclaw_llm_requests_total" in metrics.text


def test_metrics_use_the_configured_prometheus_observer(config: Config) -> None:
    config.observability.backend = ["prometheus"]
    with running_gateway(config) as gateway:
        gateway.openai().chat.completions.create(
            model="zeroclaw", messages=[{"role": "user", "content": "once"}]
        )
        with gateway.client() as http:
            text = http.get("/metrics").text
    # One observer, not two: the turn is counted once.
    assert 'zeroclaw_turns_total{outcome="answer"} 1.0' in text


# -- the pieces -----------------------------------------------------------------------------


def test_tokens_are_compared_by_digest() -> None:
    auth = TokenAuthenticator([hash_token("alpha"), hash_token("beta")])

    assert auth.verify("alpha") is not None
    assert auth.verify("beta") is not None
    assert auth.verify("alpha") != auth.verify("beta")
    assert auth.verify("gamma") is None
    assert auth.verify("") is None
    assert auth.verify(None) is None
    assert hash_token("alpha").startswith("sha256:")


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer") is None
    assert bearer_token(None) is None


def test_pairing_code_is_used_once() -> None:
    auth = TokenAuthenticator()
    pairing = Pairing(auth, code="K7MQ-2XWD")

    token = pairing.exchange("k7mq2xwd")

    assert auth.verify(token) is not None
    assert not pairing.open
    with pytest.raises(PairingCodeError):
        pairing.exchange("K7MQ-2XWD")
