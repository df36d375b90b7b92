"""Built-in hooks (placeholder until the built-ins land)."""

from __future__ import annotations

from zeroclaw.config import Config
from zeroclaw.hooks.runner import HookRunner
from zeroclaw.memory import MemoryStore
from zeroclaw.providers import Provider
from zeroclaw.tools import SecurityPolicy


def register_builtin_hooks(
    runner: HookRunner,
    *,
    config: Config,
    memory: MemoryStore,
    provider: Provider,
    model: str,
    policy: SecurityPolicy,
) -> list[str]:
    return []
