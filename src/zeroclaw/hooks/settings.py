"""The [hooks] table of the config file."""

from __future__ import annotations

from pydantic import Field

from zeroclaw.config.section import Section


class HooksSettings(Section):
    timeout_ms: int = Field(
        5000,
        ge=1,
        le=600_000,
        description="Time one hook handler call may take when the handler sets no timeout "
        "of its own; past it the handler's failure policy applies.",
    )
    max_pending_void: int = Field(
        1000,
        ge=1,
        description="Void-hook handler calls running in the background at most; beyond "
        "this new calls are dropped and counted.",
    )
    drain_timeout_ms: int = Field(
        5000,
        ge=0,
        le=600_000,
        description="At shutdown, time given to running void-hook calls before they are cancelled.",
    )
