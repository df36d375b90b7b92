"""Bearer tokens: how they are stored (hashed) and checked (in constant time).

Only digests are kept, in the config and in memory, so neither a leaked config file nor
a memory dump hands out a working token. A presented token is hashed and compared with
every known digest using `hmac.compare_digest`, without stopping at the first match, so
the time taken says nothing about which digest (if any) was close.

A refused request becomes an `auth_failure` event (`refused_request`) for the audit log:
who asked (address and port), for what path, and whether a token came at all, never the
token itself. A refused pairing code is one too (`refused_pairing`, surface "pairing"):
wrong codes are how pairing would be guessed, and the tenth one burns the code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from zeroclaw.errors import ZeroClawError
from zeroclaw.observability.events import AuthFailure

# Plain stdlib on purpose: importable before the config package (whose models import
# gateway.settings, which imports this prefix).
TOKEN_HASH_PREFIX = "sha256:"
TOKEN_ENV = "ZEROCLAW_GATEWAY_TOKEN"
# 32 random bytes: far beyond guessing, and short enough to paste.
TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """The stored form of `token`: "sha256:<hex digest>"."""
    return TOKEN_HASH_PREFIX + hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "zc_" + secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made an authenticated request: a short, non-secret id of its token (rate
    limits are kept per caller; logs may name it)."""

    token_id: str


class TokenAuthenticator:
    """The accepted token digests: from the config, the environment and pairing."""

    def __init__(self, digests: Iterable[str] = ()) -> None:
        self._digests: tuple[bytes, ...] = tuple(d.encode("ascii") for d in digests)
        # Pairing adds tokens from request handlers; the tuple swap keeps readers lock-free.
        self._lock = threading.Lock()

    @property
    def has_tokens(self) -> bool:
        return bool(self._digests)

    def add(self, digest: str) -> None:
        with self._lock:
            self._digests = (*self._digests, digest.encode("ascii"))

    def verify(self, token: str | None) -> Caller | None:
        """The caller `token` belongs to, or None. Missing and wrong tokens look the same."""
        if not token:
            return None
        presented = hash_token(token).encode("ascii")
        match: bytes | None = None
        for digest in self._digests:
            if hmac.compare_digest(presented, digest):
                match = digest
        if match is None:
            return None
        return Caller(token_id=match.decode("ascii").removeprefix(TOKEN_HASH_PREFIX)[:12])


class NoCredentialsError(ZeroClawError):
    """No client could ever authenticate: the gateway would serve nobody."""


def check_credentials_possible(authenticator: TokenAuthenticator, *, pairing: bool) -> None:
    if authenticator.has_tokens or pairing:
        return
    raise NoCredentialsError(
        "the gateway would accept no token: gateway.tokens is empty, "
        f"{TOKEN_ENV} is not set and gateway.pairing is off",
        hint="add a hashed token (`zeroclaw gateway hash-token`), set "
        f"{TOKEN_ENV}, or turn gateway.pairing on",
    )


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def refused_request(surface: str, request: HTTPConnection) -> AuthFailure:
    """The audit event of `request`, refused for want of a valid bearer token."""
    client = request.client
    where = f"{client.host}:{client.port}" if client else "?"
    sent = bearer_token(request.headers.get("authorization")) is not None
    reason = "invalid bearer token" if sent else "no bearer token"
    return AuthFailure(surface, where, request.url.path, reason)


def refused_pairing(request: HTTPConnection, reason: str) -> AuthFailure:
    """The audit event of a POST /pair that got no token (never the code it sent)."""
    client = request.client
    where = f"{client.host}:{client.port}" if client else "?"
    return AuthFailure("pairing", where, request.url.path, reason)
