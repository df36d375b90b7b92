"""Configuration: pydantic models of the TOML file and its loader."""

from zeroclaw.config.loader import ConfigError, load_config, parse_config, resolve_config_path
from zeroclaw.config.models import Config

__all__ = ["Config", "ConfigError", "load_config", "parse_config", "resolve_config_path"]
