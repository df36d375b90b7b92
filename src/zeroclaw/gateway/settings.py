"""The [gateway] table of the config file."""

from __future__ import annotations

from pydantic import Field

from zeroclaw.config.section import Section


class GatewaySettings(Section):
    """The HTTP gateway (`zeroclaw gateway`)."""

    host: str = Field("127.0.0.1", description="Address to bind (loopback by default).")
    port: int = Field(8080, ge=0, le=65535, description="Port to bind (0: any free port).")
