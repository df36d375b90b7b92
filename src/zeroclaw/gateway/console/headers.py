"""The response headers of every console response (/ui and below): a strict
Content-Security-Policy and its companions.

The policy allows scripts, styles, images and connections from the gateway itself only,
and no inline script or style at all (no 'unsafe-inline', no 'unsafe-eval'): even if a
plugin-controlled string slipped past the templates' escaping, a browser would refuse to
run what it carries. htmx is told not to add its inline indicator style nor to evaluate
anything (the <meta name="htmx-config"> of base.html). No framing (clickjacking), no
referrer to other sites, no MIME sniffing, and pages are not cached (they hold the CSRF token).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class ConsoleHeaders:
    """ASGI middleware: the headers above on every response under `prefix`."""

    def __init__(self, app: ASGIApp, prefix: str = "/ui") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return
        static = path.startswith(self.prefix + "/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
