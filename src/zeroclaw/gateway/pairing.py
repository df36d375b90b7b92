"""Pairing: a one-time code printed at start, exchanged once for a fresh bearer token.

Whoever can read the gateway's console can pair one client without editing the config.
The code works once; after `MAX_FAILED_ATTEMPTS` wrong codes it is burned too, so it
cannot be guessed by trying. The token it yields is kept only as a digest, in memory, for
the life of the process: after a restart the client pairs again (or uses a configured
token).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from typing import Final

from zeroclaw.gateway.auth import TokenAuthenticator, hash_token, new_token

MAX_FAILED_ATTEMPTS: Final = 10
# No 0/O, 1/I/L: the code is read off a console and typed by a person.
_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_GROUP: Final = 4


def new_pairing_code() -> str:
    """Two groups of four, e.g. "K7MQ-2XWD" (about 40 bits)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(2 * _GROUP))
    return f"{chars[:_GROUP]}-{chars[_GROUP:]}"


class PairingCodeError(Exception):
    """The code is wrong, already used, or burned by too many wrong tries."""


class Pairing:
    def __init__(self, authenticator: TokenAuthenticator, code: str | None = None) -> None:
        self._authenticator = authenticator
        self._code: str | None = code or new_pairing_code()
        self._failures = 0
        self._lock = threading.Lock()
        # Kept for the start banner: printing reads it after it may have been used.
        self.code = self._code

    @property
    def open(self) -> bool:
        """Whether the code can still be exchanged."""
        return self._code is not None

    def exchange(self, code: str) -> str:
        """A new token for the right code (once); raise PairingCodeError otherwise."""
        with self._lock:
            expected = self._code
            if expected is None:
                raise PairingCodeError("the pairing code was already used (or burned)")
            if not hmac.compare_digest(_normalized(code).encode(), expected.encode()):
                self._failures += 1
                if self._failures >= MAX_FAILED_ATTEMPTS:
                    self._code = None
                raise PairingCodeError("wrong pairing code")
            self._code = None
        token = new_token()
        self._authenticator.add(hash_token(token))
        return token


def _normalized(code: str) -> str:
    # People type codes in lower case, with or without the dash, with stray spaces.
    compact = "".join(code.split()).replace("-", "").upper()
    return f"{compact[:_GROUP]}-{compact[_GROUP:]}" if len(compact) == 2 * _GROUP else compact
