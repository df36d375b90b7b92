"""Where the gateway may listen, and the listening socket itself.

Loopback is the default and needs nothing. Any other address exposes the agent (and its
tools) to the network, so it is refused unless a token is configured (`gateway.tokens`
or ZEROCLAW_GATEWAY_TOKEN): a pairing code printed on a console is not enough to guard
a public port. The socket is bound here, before the server starts, so a busy port is a
clear error and port 0 is known before anything is announced.
"""

from __future__ import annotations

import ipaddress
import socket

from zeroclaw.errors import ZeroClawError


class GatewayBindError(ZeroClawError):
    """The gateway cannot or may not listen where it was asked to."""


def is_loopback(host: str) -> bool:
    """Whether every address `host` names is a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def check_bind(host: str, *, has_tokens: bool) -> None:
    if is_loopback(host) or has_tokens:
        return
    raise GatewayBindError(
        f"refusing to listen on {host}, which is not a loopback address, without a token: "
        "anyone who can reach it could run the agent and its tools",
        hint="add a hashed token to [gateway] tokens (`zeroclaw gateway hash-token`) or set "
        "ZEROCLAW_GATEWAY_TOKEN, or bind 127.0.0.1",
    )


def bind_socket(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as error:
        raise GatewayBindError(
            f"cannot resolve the gateway host {host!r}: {error.strerror or error}",
            hint="use an IP address such as 127.0.0.1, or a name this machine resolves",
        ) from None
    family, _, _, _, address = infos[0]
    try:
        return socket.create_server(address, family=family, backlog=2048)
    except OSError as error:
        raise GatewayBindError(
            f"cannot listen on {host}:{port}: {error.strerror or error}",
            hint="choose another port with --port (0 picks a free one), or stop what uses it",
        ) from None


def bound_port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])
