"""The environment variables the config names, with the `.env` file under them.

The config never holds a secret; it names the variable that does: a provider's
`api_key_env`, `hooks.webhook_audit.secret_env`, a plugin's `secrets` and
`http_credentials`, and the fixed names ZEROCLAW_DATABASE_URL and ZEROCLAW_GATEWAY_TOKEN.
Every one of them is read here, through a `NamedEnv`: the process environment first, then
the `.env` file the config loader found (`zeroclaw.config.environment`, which decides which
file that is). A variable empty or unset in the environment falls through to the file, as
an empty config-key variable does.

The file belongs to the config it was found for: the loader hands it to that `Config`
(`Config.env`), and every reader asks the config it serves. Two configs in one process
(tests, gateway replicas started in-process) never see each other's `.env`; a `Config`
made in code, with no file, reads the environment alone. The file's values are not
exported into `os.environ`, so nothing the runtime starts (the shell tool, MCP servers,
plugins) inherits them. A value is never printed; `lookup` also says where it came from,
for errors and `zeroclaw config show`.

Two variables are not read from the file, because they decide which file it is:
ZEROCLAW_CONFIG and ZEROCLAW_ENV_FILE.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class EnvFile:
    """A `.env` file that was read: its path and its non-empty values (names as written)."""

    path: Path
    values: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class NamedValue:
    value: str = field(repr=False)
    # "the environment", or ".env file PATH"
    origin: str

    @property
    def from_env_file(self) -> bool:
        return self.origin != ENVIRONMENT


ENVIRONMENT = "the environment"


@dataclass(frozen=True)
class NamedEnv:
    """The variables one config names: the environment, then that config's `.env` file."""

    env_file: EnvFile | None = None

    def lookup(self, name: str, environ: Mapping[str, str] | None = None) -> NamedValue | None:
        """`name`'s value (stripped) and where it came from; None when neither the
        environment nor the `.env` file sets it to anything but blanks."""
        env = os.environ if environ is None else environ
        value = env.get(name, "").strip()
        if value:
            return NamedValue(value, ENVIRONMENT)
        if self.env_file is not None:
            value = self.env_file.values.get(name, "").strip()
            if value:
                return NamedValue(value, f".env file {self.env_file.path}")
        return None

    def getenv(self, name: str, environ: Mapping[str, str] | None = None) -> str | None:
        """`name`'s value from the environment, else from the `.env` file; None if neither."""
        found = self.lookup(name, environ)
        return None if found is None else found.value


# The environment alone: for what no config is behind (a `Config()` made in code).
ENVIRONMENT_ONLY = NamedEnv()
