"""Downloading a plugin archive by URL.

`https://` anywhere; plain `http://` only to a loopback address (a mirror on this machine,
a test server), because an archive fetched in clear over a network could be swapped on
the way. Redirects are followed by hand, at most five, each hop held to the same rule, so
an https URL cannot bounce the download onto plain http elsewhere.

The body is streamed to a file and counted: past `plugins.install.max_download_mb` the
download stops and is refused. Its sha256 is computed on the way; with `--sha256` it must
match, otherwise it is reported so the operator can pin it next time (the lock records it
either way).
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from zeroclaw.plugins.errors import SourceError

_MAX_REDIRECTS = 5
_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Downloaded:
    path: Path
    sha256: str
    url: str  # where it finally came from


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Refuse a URL that is not https, or plain http to somewhere other than loopback."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host and is_loopback(host):
        return
    if parts.scheme == "http":
        raise SourceError(
            f"{url}: plain http is allowed only to a loopback address, not {host!r}",
            hint="use the https:// URL of the archive",
        )
    raise SourceError(
        f"{url!r} is not an https:// URL", hint="give an https:// URL of a .tar.gz or .zip"
    )


def download(url: str, into: Path, *, max_bytes: int, sha256: str | None) -> Downloaded:
    """Fetch `url` into the file `into`; see the module docstring."""
    current = url
    with httpx.Client(timeout=_TIMEOUT_S, follow_redirects=False) as client:
        for _ in range(_MAX_REDIRECTS + 1):
            check_url(current)
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        current = urljoin(current, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise SourceError(
                            f"{current}: the server answered HTTP {response.status_code}",
                            hint="check the URL",
                        )
                    digest = _save(response, into, max_bytes, current)
                    break
            except httpx.HTTPError as exc:
                raise SourceError(
                    f"{current}: download failed: {exc}", hint="check the URL and the network"
                ) from None
        else:
            raise SourceError(f"{url}: more than {_MAX_REDIRECTS} redirects", hint="check the URL")
    if sha256 is not None and digest != sha256.lower():
        raise SourceError(
            f"{url}: the download has sha256 {digest}, not the {sha256.lower()} given with "
            "--sha256",
            hint="the file changed or was swapped on the way: check with its publisher",
        )
    return Downloaded(into, digest, current)


def _save(response: httpx.Response, into: Path, max_bytes: int, url: str) -> str:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise SourceError(_too_big(url, max_bytes), hint=_TOO_BIG_HINT)
    digest = hashlib.sha256()
    size = 0
    with into.open("wb") as out:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise SourceError(_too_big(url, max_bytes), hint=_TOO_BIG_HINT)
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


_TOO_BIG_HINT = "raise plugins.install.max_download_mb if you expect a download this large"


def _too_big(url: str, max_bytes: int) -> str:
    return (
        f"{url}: the download is larger than {max_bytes // (1 << 20)} MiB "
        "(plugins.install.max_download_mb)"
    )
