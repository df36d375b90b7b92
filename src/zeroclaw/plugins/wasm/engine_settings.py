"""EngineSettings: how the shared wasmtime Engine is configured.

Its own module because the settings are also part of the compile cache's key (a component
serialized under one configuration does not load under another): the engine and the cache
both depend on it, and neither on the other's internals.

This module does not import wasmtime.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

OptLevel = Literal["none", "speed", "speed_and_size"]


@dataclass(frozen=True)
class EngineSettings:
    """How the shared Engine is configured; part of the compile cache's key."""

    consume_fuel: bool = False
    cranelift_opt_level: OptLevel = "speed"
    # Always on: it is how call timeouts work. Here so the cache key states it.
    epoch_interruption: bool = True

    @classmethod
    def for_fuel(cls, fuel_limits: list[int | None]) -> EngineSettings:
        """Settings that consume fuel only if some plugin's effective limits set `fuel`."""
        return cls(consume_fuel=any(fuel is not None for fuel in fuel_limits))

    def cache_key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)
