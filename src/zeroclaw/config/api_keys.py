"""Which providers have their API key, shown without showing the key.

Keys never live in the config file: a provider's `api_key_env` names the environment
variable that holds its key (in the environment, or the .env file beside the config).
`zeroclaw config show` reports each one as set (masked) or not.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from zeroclaw.config.models import Config

# Below this length, even four characters are too large a part of the secret to print.
_SHORTEST_SHOWN = 12


@dataclass(frozen=True)
class ApiKeyStatus:
    provider: str
    env_var: str
    masked: str  # "…abcd (51 chars)", "(not set)", ...
    present: bool  # the variable is set (possibly empty)
    # "the environment" or ".env file PATH"; None when the key is set in neither
    origin: str | None = None


def api_key_statuses(
    config: Config, environ: Mapping[str, str] | None = None
) -> list[ApiKeyStatus]:
    """One status per provider that reads its key from an environment variable, by name."""
    env = os.environ if environ is None else environ
    statuses = []
    for name, provider in sorted(config.llm.providers.items()):
        if not provider.api_key_env:
            continue
        found = config.env.lookup(provider.api_key_env, env)
        shown = env.get(provider.api_key_env) if found is None else found.value
        statuses.append(
            ApiKeyStatus(
                name,
                provider.api_key_env,
                mask_secret(shown),
                found is not None or provider.api_key_env in env,
                None if found is None else found.origin,
            )
        )
    return statuses


def mask_secret(value: str | None) -> str:
    """The last 4 characters of a secret and its length; never more."""
    if value is None:
        return "(not set)"
    if not value:
        return "(set, but empty)"
    if len(value) < _SHORTEST_SHOWN:
        return f"(set, {len(value)} chars)"
    return f"…{value[-4:]} ({len(value)} chars)"
