"""webhook_audit: selected void events POSTed as JSON to an audit endpoint.

The body is `{"event": name, "at": ISO time, "payload": {...}}`, secrets redacted as in
the audit log, whole (the body is not cut). The redaction, the JSON and the signature are
made in a worker thread (`asyncio.to_thread`): a tool's output can be a megabyte, which
takes the redactor ~0.45 s of CPU, and on the event loop that would hold every other
turn. (Under the GIL the loop may still wait for one regular expression's pass over the
longest string, but its thread no longer does the work.) `at` is taken on the loop,
when the hook runs. Delivery runs in the void hook's background task, so a slow or
broken endpoint never holds up a turn: each POST has a timeout, a failure (a connection
error, a timeout, 408, 429 or 5xx) is retried up to `attempts` times with a doubling
backoff, any other status is final. A delivery that fails for good is logged and
counted (`failed`), never raised. Redirects are not followed: the URL was checked
against tools.http_request.allowed_hosts and a redirect could lead anywhere.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from zeroclaw.hooks.events import Event, ModifyingPayload, VoidPayload
from zeroclaw.hooks.handler import Continue, HandlerSpec, HookOutcome
from zeroclaw.observability import Redactor

NAME: Final = "webhook_audit"
SIGNATURE_HEADER: Final = "X-ZeroClaw-Signature"
_RETRYABLE_STATUS: Final = frozenset({408, 425, 429})
# Time around the POSTs and waits for the handler's own deadline.
_TIMEOUT_MARGIN_S: Final = 1.0

_LOG = logging.getLogger("zeroclaw.hooks")


class WebhookAudit:
    def __init__(
        self,
        url: str,
        events: Iterable[Event],
        redactor: Redactor,
        *,
        attempts: int,
        backoff_s: float,
        timeout_s: float,
        secret: str | None = None,
    ) -> None:
        self.url = url
        self._redactor = redactor
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._timeout_s = timeout_s
        self._secret = secret.encode() if secret else None
        waits = sum(backoff_s * 2**n for n in range(attempts - 1))
        self.spec = HandlerSpec(
            name=NAME,
            events=frozenset(events),
            timeout_s=attempts * timeout_s + waits + _TIMEOUT_MARGIN_S,
        )
        self.delivered = 0
        self.failed = 0
        self.retries = 0

    async def handle(
        self, event: Event, payload: ModifyingPayload
    ) -> HookOutcome[ModifyingPayload]:
        return Continue(payload)

    async def observe(self, event: Event, payload: VoidPayload) -> None:
        at = _now()
        body, headers = await asyncio.to_thread(self._request, event, payload, at)
        problem = await self._deliver(body, headers)
        if problem is None:
            self.delivered += 1
            return
        self.failed += 1
        _LOG.warning(
            "webhook_audit: %s not delivered to %s after %d attempt(s): %s",
            event.value,
            self.url,
            self._attempts,
            problem,
        )

    def body(self, event: Event, payload: VoidPayload, at: str | None = None) -> dict[str, Any]:
        """What is POSTed for `event`, as a dict (redacted: it takes time linear in the
        payload's text, so `observe` calls it off the event loop)."""
        return {
            "event": event.value,
            "at": at or _now(),
            "payload": self._redactor.value(dataclasses.asdict(payload)),
        }

    def _request(self, event: Event, payload: VoidPayload, at: str) -> tuple[bytes, dict[str, str]]:
        """The POST's body and headers; run in a worker thread."""
        body = json.dumps(self.body(event, payload, at), ensure_ascii=False, default=str).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "zeroclaw-webhook-audit"}
        if signature := self._signature(body):
            headers[SIGNATURE_HEADER] = signature
        return body, headers

    async def _deliver(self, body: bytes, headers: dict[str, str]) -> str | None:
        """POST until it succeeds or the attempts run out; the last problem, or None."""
        problem = "not attempted"
        async with httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False) as client:
            for attempt in range(self._attempts):
                if attempt:
                    self.retries += 1
                    await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))
                try:
                    response = await client.post(self.url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    continue
                if response.is_success:
                    return None
                problem = f"HTTP {response.status_code}"
                if not (response.status_code >= 500 or response.status_code in _RETRYABLE_STATUS):
                    return problem
        return problem

    def _signature(self, body: bytes) -> str | None:
        if self._secret is None:
            return None
        digest = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        return f"sha256={digest}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
