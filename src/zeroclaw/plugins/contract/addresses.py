"""Which hosts and addresses are internal: never reached through a wildcard http grant.

Internal means loopback, private, link-local, shared (CGNAT), reserved, unspecified,
multicast, cloud metadata, or an IPv6 address carrying such an IPv4 address (mapped, 6to4,
NAT64, Teredo); for names, `localhost`, the metadata names, the private suffixes
(`.internal`, `.local`, ...) and single-label names (they resolve through search domains).
The grant check (`grants.py`) asks this of the URL's host, and the http host interface asks
it again of every address the host resolves to, at connect time and on every redirect.

Resolvers read `127.1`, `0x7f.0.0.1` and `2130706433` as IPv4 addresses (`legacy_ipv4`), so
every check here treats them as the address they spell.

This module does not import wasmtime.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


_INTERNAL_NAMES = frozenset(
    {"localhost", "metadata", "metadata.goog", "instance-data", "metadata.google.internal"}
)
_INTERNAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".localdomain",
    ".internal",
    ".home.arpa",
    ".lan",
)
# Cloud metadata endpoints that `is_global` does not already exclude.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("192.0.0.192", "168.63.129.16", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_ip_literal(host: str) -> bool:
    return legacy_ipv4(host) is not None or parse_ip(host) is not None


def parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """`127.1`, `0x7f.0.0.1`, `2130706433`...: forms resolvers accept as IPv4 addresses."""
    if not host or not re.fullmatch(r"[0-9a-fx.]+", host) or not host[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_local_name(host: str) -> bool:
    """Whether `host` is `localhost` or a name under it: names the resolver answers on this
    machine (RFC 6761), so looking one up sends nothing to a DNS server."""
    host = host.lower().removesuffix(".")
    return host == "localhost" or host.endswith(".localhost")


def is_internal_host(host: str) -> bool:
    """Whether a host name or IP literal is loopback, private, link-local, cloud metadata or
    otherwise not a public Internet host (single-label names resolve via search domains)."""
    host = host.lower().removesuffix(".")
    address = parse_ip(host) or legacy_ipv4(host)
    if address is not None:
        return is_internal_address(address)
    if host in _INTERNAL_NAMES or host.endswith(_INTERNAL_SUFFIXES):
        return True
    return "." not in host


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, Teredo), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    embedded = ip.ipv4_mapped or ip.sixtofour
    if embedded is None and ip in _NAT64:
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if embedded is None and ip.teredo is not None:
        embedded = ip.teredo[1]
    return embedded


def is_internal_address(address: str | IPAddress) -> bool:
    """Whether a resolved address must not be reached through a wildcard grant."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    embedded = embedded_ipv4(ip)
    if embedded is not None and is_internal_address(embedded):
        return True
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or ip in _METADATA_ADDRESSES
    )
