"""Configuration: pydantic models of the TOML file, its loader, and the environment
variables and .env file laid over it (effective.py).

The names are loaded on first use: the settings models of other packages (hooks,
observability, gateway) import `zeroclaw.section`, and `Config` imports them, so
an eager import here would make whichever package is imported first see the other half
built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zeroclaw.config.effective import load_config
    from zeroclaw.config.loader import ConfigError, parse_config, resolve_config_path
    from zeroclaw.config.models import Config

__all__ = ["Config", "ConfigError", "load_config", "parse_config", "resolve_config_path"]


def __getattr__(name: str) -> object:
    if name == "Config":
        from zeroclaw.config.models import Config

        return Config
    if name == "load_config":
        from zeroclaw.config.effective import load_config

        return load_config
    if name in __all__:
        from zeroclaw.config import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
