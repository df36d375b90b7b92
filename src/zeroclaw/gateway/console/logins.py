"""Console logins: a browser proves it holds a gateway token (or the pairing code) once,
and gets a session cookie for the pages that follow.

The cookie is a random id (HttpOnly: page scripts cannot read it; SameSite=Strict: another
site cannot make the browser send it; Path=/ui). Only its sha256 is kept, in memory, with
the caller it stands for, its expiry and its CSRF token: a restart logs everybody out, as
it forgets paired tokens too. Every state-changing request must also carry that CSRF token
(a hidden form field or an `X-CSRF-Token` header), checked in constant time, so a page that
merely gets the browser to send the cookie cannot act with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from zeroclaw.gateway.auth import Caller

COOKIE = "zeroclaw_console"
COOKIE_PATH = "/ui"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(slots=True)
class ConsoleLogin:
    caller: Caller
    csrf: str
    expires_at: float
    # a one-line result of the last action (approve, reload, ...), shown once
    notice: str | None = field(default=None)

    def csrf_matches(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(
            presented.encode("utf-8", "replace"), self.csrf.encode()
        )

    def take_notice(self) -> str | None:
        notice, self.notice = self.notice, None
        return notice


class ConsoleLogins:
    def __init__(self, ttl_s: int) -> None:
        self.ttl_s = ttl_s
        self._logins: dict[str, ConsoleLogin] = {}
        self._lock = threading.Lock()

    def open(self, caller: Caller) -> tuple[str, ConsoleLogin]:
        """A new login for `caller`: the cookie value (given to the browser once) and it."""
        cookie = secrets.token_urlsafe(32)
        login = ConsoleLogin(caller, secrets.token_urlsafe(32), time.monotonic() + self.ttl_s)
        with self._lock:
            self._forget_expired()
            self._logins[_key(cookie)] = login
        return cookie, login

    def find(self, cookie: str | None) -> ConsoleLogin | None:
        if not cookie:
            return None
        with self._lock:
            login = self._logins.get(_key(cookie))
            if login is not None and login.expires_at <= time.monotonic():
                del self._logins[_key(cookie)]
                return None
            return login

    def close(self, cookie: str | None) -> None:
        if cookie:
            with self._lock:
                self._logins.pop(_key(cookie), None)

    def __len__(self) -> int:
        return len(self._logins)

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for key in [k for k, login in self._logins.items() if login.expires_at <= now]:
            del self._logins[key]


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()
