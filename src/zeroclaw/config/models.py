"""The TOML configuration, as pydantic models.

Every key has a type, a default and a description; the descriptions are what
`zeroclaw config init` writes as comments and what docs/config-reference.md lists.
Unknown keys are rejected (`extra="forbid"`) so a typo never passes silently.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import BeforeValidator, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from zeroclaw.gateway.settings import GatewaySettings
from zeroclaw.hooks.settings import HooksSettings
from zeroclaw.memory.location import (
    DATABASE_URL_ENV,
    DatabaseLocation,
    InvalidDatabaseUrlError,
    masked_url,
    postgres_location,
    sqlite_location,
    url_password,
)
from zeroclaw.named_env import ENVIRONMENT_ONLY, EnvFile, NamedEnv
from zeroclaw.observability.settings import AuditSettings, ObservabilitySettings
from zeroclaw.section import Section

APP_NAME = "zeroclaw"

# Marks a default that depends on the machine: the template writes it commented out (so the
# file stays portable) and the reference describes it instead of printing this machine's value.
PLATFORM_DEFAULT = "platform_default"
# json_schema_extra flag of a key whose values are secrets: masked wherever a `config`
# command shows them (config/secrets.py), whatever the key's place in the file.
SECRET = "secret"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def user_plugin_cache_dir() -> Path:
    """The user's own compile cache (e.g. ~/.cache/zeroclaw/plugin-cache): what `zeroclaw
    demo` uses, so its plugins compile once per machine, not once per run."""
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "plugin-cache"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def _path_from_str(value: Any) -> Any:
    return Path(value) if isinstance(value, str) else value


# The loader validates in strict mode (TOML values are typed: "8" is not an integer), and a
# strict Path accepts only Path objects; this turns the file's string into one first.
ConfigPath = Annotated[Path, BeforeValidator(_path_from_str)]


Autonomy = Literal["read_only", "supervised", "full"]
ProviderKind = Literal["offline", "scripted", "openai", "anthropic"]


class CompactionConfig(Section):
    """History compaction: old messages are summarized so a turn fits the model's context."""

    enabled: bool = Field(True, description="Summarize old history when it exceeds the budget.")
    max_history_tokens: int = Field(
        6000, ge=200, description="Estimated tokens of history above which compaction runs."
    )
    keep_recent_messages: int = Field(
        6, ge=1, description="Messages kept verbatim after a compaction (the rest is summarized)."
    )


class AgentConfig(Section):
    """The agent loop: its prompt and how far one turn may go."""

    system_prompt: str = Field(
        "You are ZeroClaw, a helpful assistant. Use tools when they help; answer concisely.",
        description="The system prompt every turn starts with.",
    )
    max_tool_iterations: int = Field(
        8, ge=1, le=100, description="Model calls per turn before the loop stops asking for tools."
    )
    history_messages: int = Field(
        200, ge=1, description="Messages of stored history loaded into a turn at most."
    )
    compaction: CompactionConfig = Field(default_factory=CompactionConfig)


class RetryConfig(Section):
    """Retries of a failed provider request, with exponential backoff."""

    max_attempts: int = Field(3, ge=1, le=20, description="Tries per provider (first included).")
    initial_backoff_ms: int = Field(500, ge=0, description="Wait before the first retry.")
    max_backoff_ms: int = Field(8000, ge=0, description="Upper bound of one wait.")


class RouteConfig(Section):
    """A named route: the provider and model a `hint:NAME` model resolves to."""

    provider: str = Field(description="Provider name (a key of [llm.providers] or a kind).")
    model: str = Field(description="Model passed to that provider.")


class ProviderConfig(Section):
    """One LLM provider: its wire format, where it is and which env var holds its key."""

    kind: ProviderKind = Field(description="Wire format: offline, scripted, openai or anthropic.")
    base_url: str | None = Field(
        None, description="API base URL (openai kind: any OpenAI-compatible server)."
    )
    api_key_env: str | None = Field(
        None, description="Environment variable that holds the API key (never the key itself)."
    )
    model: str | None = Field(None, description="Default model of this provider.")
    timeout_s: float = Field(60.0, gt=0, description="Timeout of one request, in seconds.")
    script: ConfigPath | None = Field(None, description="scripted kind: JSON file of responses.")


def _builtin_providers() -> dict[str, ProviderConfig]:
    return {
        "offline": ProviderConfig(kind="offline", model="offline"),
        "openai": ProviderConfig(
            kind="openai",
            base_url="https://api.openai.com/v1",
            api_key_env="OPENAI_API_KEY",
            model="gpt-4o-mini",
        ),
        "anthropic": ProviderConfig(
            kind="anthropic",
            base_url="https://api.anthropic.com",
            api_key_env="ANTHROPIC_API_KEY",
            model="claude-sonnet-4-5",
        ),
        "openrouter": ProviderConfig(
            kind="openai",
            base_url="https://openrouter.ai/api/v1",
            api_key_env="OPENROUTER_API_KEY",
            model="openai/gpt-4o-mini",
        ),
        "ollama": ProviderConfig(
            kind="openai", base_url="http://127.0.0.1:11434/v1", model="llama3.2"
        ),
    }


class LLMConfig(Section):
    """Which LLM answers, and what happens when it fails."""

    provider: str = Field(
        "offline",
        description="Provider used by default: a key of [llm.providers] (offline needs no key).",
    )
    model: str | None = Field(
        None,
        description="Model to ask for; empty uses the provider's own default model.",
        examples=["gpt-4o-mini"],
    )
    fallbacks: list[str] = Field(
        default_factory=list,
        description="Providers tried in order when the default keeps failing after retries.",
        examples=[["anthropic", "openrouter"]],
    )
    retry: RetryConfig = Field(default_factory=RetryConfig)
    routes: dict[str, RouteConfig] = Field(
        default_factory=dict,
        description='Model hints: model "hint:NAME" goes to routes.NAME (provider + model).',
        examples=[{"fast": {"provider": "openai", "model": "gpt-4o-mini"}}],
    )
    providers: dict[str, ProviderConfig] = Field(
        default_factory=_builtin_providers,
        description="Named providers; entries you define are added to the built-in ones "
        "(an entry with a built-in's name replaces it).",
        examples=[
            {
                "local": {
                    "kind": "openai",
                    "base_url": "http://127.0.0.1:8080/v1",
                    "api_key_env": "LOCAL_LLM_API_KEY",
                    "model": "qwen2.5-7b-instruct",
                    "timeout_s": 120.0,
                }
            }
        ],
    )

    @field_validator("providers", mode="after")
    @classmethod
    def _keep_builtins(cls, value: dict[str, ProviderConfig]) -> dict[str, ProviderConfig]:
        return {**_builtin_providers(), **value}


class ShellConfig(Section):
    """The shell tool: which programs it may run and for how long."""

    allowed_commands: list[str] = Field(
        default_factory=lambda: ["ls", "cat", "echo", "pwd", "date", "wc", "head", "tail", "grep"],
        description="Programs the shell tool may run (first word of the command).",
    )
    timeout_s: float = Field(30.0, gt=0, description="A command running longer is killed.")
    max_output_bytes: int = Field(65536, ge=1024, description="Output beyond this is cut.")


class HttpRequestConfig(Section):
    """The http_request tool: which hosts it may reach."""

    allowed_hosts: list[str] = Field(
        default_factory=list,
        description='Hosts the http_request tool may reach ("*.example.com" matches subdomains). '
        "Empty: no host.",
        examples=[["api.github.com", "*.wikipedia.org"]],
    )
    timeout_s: float = Field(20.0, gt=0, description="Timeout of one request, in seconds.")
    max_response_bytes: int = Field(
        262144, ge=1024, description="Response body beyond this is cut."
    )


ApprovalAction = Literal["allow", "ask", "deny"]


class ApprovalConfig(Section):
    """Approval rules: which calls run without asking, which are always asked about, and
    what a shell command matching a pattern gets. Patterns are shell-style (`*`, `?`,
    `[...]`) and apply to every owner's tools alike (MCP tools are `SERVER__TOOL`). Where
    nobody can be asked (the gateway, `mcp serve`, `-m` without a terminal), a call that
    needs approval is refused at once."""

    auto_approve: list[str] = Field(
        default_factory=list,
        description="Tools that run without asking, even under supervised autonomy (never "
        "under read_only, and never past a shell command rule that says ask or deny).",
        examples=[["memory_store", "github__get_*"]],
    )
    always_ask: list[str] = Field(
        default_factory=list,
        description="Tools asked about before every call, even read-only ones and under full "
        "autonomy; wins over auto_approve.",
        examples=[["file_write", "github__*"]],
    )
    commands: dict[str, ApprovalAction] = Field(
        default_factory=dict,
        description="Shell command pattern -> allow (run without asking), ask (ask even "
        "under full autonomy) or deny. Matched against the whole command line; when several "
        "match, deny wins over ask, and ask over allow. The program must still be in "
        "tools.shell.allowed_commands.",
        examples=[{"rm *": "ask", "ls *": "allow", "git push*": "deny"}],
    )


class ToolsConfig(Section):
    """Tools the model may call, and the security policy around them."""

    autonomy: Autonomy = Field(
        "supervised",
        description="read_only: only tools that change nothing; supervised: changing tools "
        "need approval; full: no approval.",
    )
    allowed: list[str] = Field(
        default_factory=lambda: ["*"],
        description='Tools the model may call ("*" = every registered tool).',
    )
    workspace: ConfigPath | None = Field(
        None,
        description="Directory file tools are confined to; empty: DATA_DIR/workspace.",
        examples=["~/zeroclaw-workspace"],
    )
    max_calls_per_turn: int = Field(20, ge=1, description="Tool calls allowed in one turn.")
    max_file_bytes: int = Field(1048576, ge=1024, description="Largest file read or written.")
    shell: ShellConfig = Field(default_factory=ShellConfig)
    http_request: HttpRequestConfig = Field(default_factory=HttpRequestConfig)
    approval: ApprovalConfig = Field(default_factory=ApprovalConfig)


class MemoryConfig(Section):
    """Conversation memory: a SQLite file (embedded, the default) or PostgreSQL."""

    backend: Literal["sqlite", "postgres"] = Field(
        "sqlite",
        description='"sqlite": one file, no server. "postgres": a PostgreSQL database at '
        "memory.url, which several gateway replicas can share (docs/deployment.md).",
    )
    path: ConfigPath | None = Field(
        None,
        description="SQLite file (backend sqlite); empty: DATA_DIR/zeroclaw.db.",
        examples=["zeroclaw.db"],
    )
    url: str | None = Field(
        None,
        description="PostgreSQL URL (backend postgres), postgresql://USER@HOST:5432/DB, without "
        "a password (no secret lives in this file: PGPASSWORD or ~/.pgpass hold it); empty: "
        "$ZEROCLAW_DATABASE_URL, which may hold one (`config show` masks it).",
        examples=["postgresql://zeroclaw@localhost:5432/zeroclaw"],
    )
    sqlite_synchronous: Literal["normal", "full"] = Field(
        "normal",
        description='When a SQLite commit reaches the disk (backend sqlite). "normal": at '
        "checkpoints; a killed process loses nothing, a power cut or OS crash may lose the "
        'last commits (never the file). "full": at every commit too (an fsync each).',
    )
    recall_limit: int = Field(5, ge=1, le=100, description="Memories returned by one recall.")

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            postgres_location(value)
        except InvalidDatabaseUrlError as exc:
            raise PydanticCustomError(
                "database_url",
                "a PostgreSQL URL such as postgresql://USER:PASSWORD@HOST:5432/DATABASE ({why})",
                {"given": masked_url(value), "why": exc.message},
            ) from None
        if url_password(value):
            raise PydanticCustomError(
                "database_url",
                "a URL without a password (no secret lives in the config file): put the "
                "password in PGPASSWORD or ~/.pgpass, or the whole URL in ZEROCLAW_DATABASE_URL",
                {"given": masked_url(value)},
            )
        return value


class PluginLimits(Section):
    """Limits of every plugin call; a plugin's own settings may only tighten them."""

    timeout_ms: int = Field(1000, ge=1, le=600_000, description="Wall-clock limit of one call.")
    provider_timeout_ms: int = Field(
        60_000,
        ge=1,
        le=600_000,
        description="Wall-clock limit of one call into a provider plugin, which waits for a "
        "model (takes the place of timeout_ms for those).",
    )
    memory_mb: int = Field(64, ge=1, le=4096, description="Linear memory cap of one instance.")
    max_concurrency: int = Field(4, ge=1, le=256, description="Concurrent calls into one plugin.")
    fuel: int | None = Field(
        None,
        ge=1,
        description="Optional instruction budget per call (slower; empty: off).",
        examples=[50_000_000],
    )
    max_answer_bytes: int = Field(
        1_048_576,
        ge=1024,
        le=64 * 1_048_576,
        description="A provider plugin's answer text beyond this is cut, with a marker (as "
        "tool output is); a tool call's arguments beyond it fail the call.",
    )


class PluginLimitsOverride(Section):
    """This plugin's limits; unset keys use [plugins.limits], and none may be looser."""

    timeout_ms: int | None = Field(
        None,
        ge=1,
        le=600_000,
        description="At most plugins.limits.timeout_ms (provider_timeout_ms for a provider).",
    )
    memory_mb: int | None = Field(
        None, ge=1, le=4096, description="At most plugins.limits.memory_mb."
    )
    max_concurrency: int | None = Field(
        None, ge=1, le=256, description="At most plugins.limits.max_concurrency."
    )
    fuel: int | None = Field(
        None, ge=1, description="At most plugins.limits.fuel; may be set when that is not."
    )


class CapabilityRules(Section):
    """Host capabilities plugins may be granted: requested, and allowed, and not denied."""

    allow: list[str] = Field(
        default_factory=list,
        description='Capabilities that may be granted (e.g. "log", "kv", "http:*.example.com"). '
        "Empty: nothing is granted.",
        examples=[["log", "kv", "http:api.example.com"]],
    )
    deny: list[str] = Field(
        default_factory=list,
        description="Capabilities never granted, even if allowed.",
        examples=[["http:*.internal.example"]],
    )


class PluginCapabilityRules(Section):
    """This plugin's capabilities: it gets what it requests, [plugins.capabilities] allows,
    this table allows (if not empty) and neither denies."""

    allow: list[str] = Field(
        default_factory=list,
        description="Narrows plugins.capabilities.allow for this plugin (a capability must be "
        "in both). Empty: plugins.capabilities.allow applies unchanged.",
    )
    deny: list[str] = Field(
        default_factory=list,
        description="Never granted to this plugin, in addition to plugins.capabilities.deny.",
    )


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class HttpCredential(Section):
    """A header the host adds to a plugin's http requests to one host, from an environment
    variable the plugin cannot read."""

    host: str = Field(
        description="The exact host name the header is sent to (no wildcard, no port).",
        examples=["api.example.com"],
    )
    header: str = Field("Authorization", description="The header's name.")
    secret: str = Field(
        description="Environment variable holding the value (read when the plugin loads).",
        examples=["EXAMPLE_API_KEY"],
    )
    prefix: str = Field("", description='Put before the value, e.g. "Bearer ".')

    @field_validator("host")
    @classmethod
    def _exact_host(cls, value: str) -> str:
        host = value.strip().lower().rstrip(".")
        if not host or any(c in host for c in "*/:@ "):
            raise PydanticCustomError(
                "credential_host",
                "an exact host name such as api.example.com (no scheme, port, path or wildcard)",
                {"given": value},
            )
        return host

    @field_validator("header")
    @classmethod
    def _header_name(cls, value: str) -> str:
        if not _HEADER_NAME.fullmatch(value):
            raise PydanticCustomError(
                "credential_header", "an HTTP header name such as Authorization", {"given": value}
            )
        return value

    @field_validator("secret")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.fullmatch(value):
            raise PydanticCustomError(
                "credential_secret",
                "the name of an environment variable (letters, digits and _)",
                {"given": value},
            )
        return value


class PluginOverride(Section):
    """Settings of one plugin, by name; they may only tighten the [plugins] settings."""

    enabled: bool = Field(True, description="Load this plugin.")
    required: bool = Field(
        False, description="Refuse to serve if this plugin fails to load or is quarantined."
    )
    capabilities: PluginCapabilityRules = Field(default_factory=PluginCapabilityRules)
    limits: PluginLimitsOverride = Field(default_factory=PluginLimitsOverride)
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Settings laid over the [config] table of the plugin's plugin.toml.",
        examples=[{"threshold": 3}],
    )
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Secret name -> environment variable holding its value; a plugin reads "
        "one only when granted secret:NAME.",
        examples=[{"API_TOKEN": "MY_PLUGIN_API_TOKEN"}],
    )
    http_credentials: list[HttpCredential] = Field(
        default_factory=list,
        description="Credentials the host adds to this plugin's outbound http requests to one "
        "host (never after a redirect to another); the plugin never sees their values.",
        examples=[
            [
                {
                    "host": "api.example.com",
                    "header": "Authorization",
                    "secret": "EXAMPLE_API_KEY",
                    "prefix": "Bearer ",
                }
            ]
        ],
    )


class PluginInstallLimits(Section):
    """Caps on what `zeroclaw plugins install` accepts from a source, so an archive bomb or an
    oversized registry layer is refused before it fills the disk."""

    max_download_mb: int = Field(
        128, ge=1, le=65_536, description="Largest archive or OCI layer downloaded."
    )
    max_unpacked_mb: int = Field(
        256, ge=1, le=65_536, description="Largest total size of an archive's files, unpacked."
    )
    max_files: int = Field(1000, ge=1, le=1_000_000, description="Most files in one archive.")


SignatureMode = Literal["off", "warn", "require"]


class PluginsConfig(Section):
    """WebAssembly plugins. Off by default; when on, a plugin gets nothing it is not granted."""

    enabled: bool = Field(False, description="Load WebAssembly plugins at all.")
    dirs: list[ConfigPath] = Field(
        default_factory=list,
        description="Directories searched for plugins (each subdirectory with a plugin.toml).",
        examples=[["plugins"]],
    )
    hot_reload: bool = Field(
        False,
        description="Watch the plugin dirs and reload on change. A reload that fails keeps the "
        "running plugins serving. Without it, reload with SIGHUP, POST /api/plugins/reload or "
        "`zeroclaw plugins reload`.",
    )
    reload_debounce_ms: int = Field(
        200,
        ge=10,
        le=60_000,
        description="With hot_reload: a reload starts once the plugin dirs have had no change "
        "for this long, so a file still being written is not loaded.",
    )
    require_approval_for_new_capabilities: bool = Field(
        False,
        description="A reload that would grant a plugin a capability its running version does "
        "not have (or add a plugin with any grant) leaves the running plugins serving until "
        "`zeroclaw plugins approve NAME` approves the new grant set.",
    )
    install_dir: ConfigPath | None = Field(
        None,
        description="Where `zeroclaw plugins install` puts plugins; always searched, after "
        "plugins.dirs. Empty: DATA_DIR/plugins.",
        examples=["plugins-installed"],
    )
    lock_file: ConfigPath | None = Field(
        None,
        description="plugins.lock: each installed plugin's source, version, digests and "
        "signer; a load or reload whose files no longer match it is refused. Empty: "
        "plugins.lock beside the config file.",
        examples=["plugins.lock"],
    )
    signature_mode: SignatureMode = Field(
        "off",
        description="Plugin signatures at install, load and reload: off (not checked), warn "
        "(an unsigned, untrusted or changed plugin loads with a warning) or require (it is "
        "refused).",
    )
    trusted_keys: list[str] = Field(
        default_factory=list,
        description="Public keys whose signatures are trusted, as `zeroclaw plugins keygen` "
        'prints them ("ed25519:" and the key in base64).',
        examples=[["ed25519:Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE="]],
    )
    inline_call_ms: int = Field(
        20,
        ge=0,
        le=1000,
        description="A plugin whose calls are limited to at most this many ms (timeout_ms), "
        "and whose host imports all end by a call's deadline (log, config, http), is called on "
        "the event loop's own thread: no thread hop, several times cheaper for a small hook. The "
        "loop then waits at most 2 x this (+ ~1 ms) for plugin calls before running other "
        "work. 0: every call goes to the plugin's worker threads.",
    )
    inline_first: bool = Field(
        True,
        description="A plugin with a longer time limit that may be run again (it imports "
        "no host interface, or only config, log and console) tries each call on the event "
        "loop's thread first, with a deadline of at most inline_call_ms; a call that "
        "overruns it is dropped unseen and run again on the plugin's worker threads with "
        "what is left of its timeout_ms (and its next calls go there for a while). false: "
        "such plugins always run on their worker threads.",
    )
    cache_dir: ConfigPath | None = Field(
        None,
        description="Where compiled plugins are cached (keyed by the component's sha256, the "
        "wasmtime version and the engine settings; every entry is checksummed). Delete the "
        "directory to clear it. Empty: DATA_DIR/plugin-cache.",
        examples=["/var/cache/zeroclaw/plugin-cache"],
    )
    install: PluginInstallLimits = Field(default_factory=PluginInstallLimits)
    limits: PluginLimits = Field(default_factory=PluginLimits)
    capabilities: CapabilityRules = Field(default_factory=CapabilityRules)
    overrides: dict[str, PluginOverride] = Field(
        default_factory=dict,
        description="Per-plugin settings, keyed by plugin name.",
        examples=[
            {
                "redact-secrets": {
                    "required": True,
                    "capabilities": {"deny": ["http:*"]},
                    "limits": {"timeout_ms": 200, "memory_mb": 32},
                }
            }
        ],
    )

    @model_validator(mode="after")
    def _overrides_only_tighten(self) -> PluginsConfig:
        # A per-plugin override that loosened a limit would quietly undo the operator's cap.
        for name, override in self.overrides.items():
            for key in PluginLimitsOverride.model_fields:
                value = getattr(override.limits, key)
                ceiling = key
                if key == "timeout_ms" and self.limits.provider_timeout_ms > self.limits.timeout_ms:
                    # The config cannot tell a provider plugin from others; the loader
                    # holds each kind to its own ceiling.
                    ceiling = "provider_timeout_ms"
                limit = getattr(self.limits, ceiling)
                if value is not None and limit is not None and value > limit:
                    raise PydanticCustomError(
                        "looser_override",
                        "an override may only tighten plugins.limits.{key} = {limit}",
                        {
                            "sub_loc": ("overrides", name, "limits", key),
                            "key": ceiling,
                            "limit": limit,
                            "given": value,
                        },
                    )
        return self

    @field_validator("trusted_keys")
    @classmethod
    def _public_keys(cls, value: list[str]) -> list[str]:
        for index, key in enumerate(value):
            if not _is_public_key(key):
                raise PydanticCustomError(
                    "public_key",
                    'an Ed25519 public key as `zeroclaw plugins keygen` prints it: "ed25519:" '
                    "and 32 bytes in base64",
                    {"sub_loc": (index,), "given": key},
                )
        return value

    @property
    def search_dirs(self) -> list[Path]:
        """Where plugins are looked for: plugins.dirs, then the install dir."""
        found = list(self.dirs)
        if self.install_dir is not None and self.install_dir not in found:
            found.append(self.install_dir)
        return found


def _is_public_key(text: str) -> bool:
    kind, _, encoded = text.partition(":")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        return False
    return kind == "ed25519" and len(raw) == 32


McpTransport = Literal["stdio", "streamable-http", "sse"]
McpServeTransport = Literal["stdio", "streamable-http"]

# A server's name prefixes its tools (`NAME__TOOL`), so it may not contain the separator.
_MCP_SERVER_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class McpServerConfig(Section):
    """One MCP server whose tools the agent may call, as `NAME__TOOL`."""

    name: str = Field(
        pattern=_MCP_SERVER_NAME,
        max_length=40,
        description="Prefix of this server's tools (letters, digits, - and single _).",
        examples=["github"],
    )
    enabled: bool = Field(True, description="Connect to this server and offer its tools.")
    transport: McpTransport = Field(
        "stdio",
        description="stdio (start `command`), streamable-http (connect to `url`), or sse "
        "(the deprecated HTTP+SSE transport of old servers).",
    )
    command: str | None = Field(None, description="stdio: the program to start.", examples=["npx"])
    args: list[str] = Field(
        default_factory=list,
        description="stdio: its arguments.",
        examples=[["-y", "@modelcontextprotocol/server-github"]],
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="stdio: environment variables added to a minimal environment (PATH, "
        "HOME, ...). Values are secrets: masked wherever a `config` command shows them, "
        "never logged.",
        examples=[{"GITHUB_TOKEN": "..."}],
        json_schema_extra={SECRET: True},
    )
    cwd: ConfigPath | None = Field(
        None, description="stdio: working directory; empty: the workspace."
    )
    url: str | None = Field(
        None,
        description="streamable-http / sse: the server's endpoint.",
        examples=["http://127.0.0.1:9000/mcp"],
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="streamable-http / sse: request headers. Values are secrets: masked "
        "wherever a `config` command shows them, never logged.",
        examples=[{"Authorization": "Bearer ..."}],
        json_schema_extra={SECRET: True},
    )
    connect_timeout_s: float = Field(
        15.0, gt=0, le=600, description="Connecting and listing tools may take this long."
    )
    call_timeout_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="One tool call may take this long; then it fails and the connection is "
        "restarted.",
    )
    include_tools: list[str] = Field(
        default_factory=list,
        description="Offer only the server's tools matching one of these patterns (its own "
        "names, without the prefix). Empty: all.",
        examples=[["get_*", "list_*"]],
    )
    exclude_tools: list[str] = Field(
        default_factory=list,
        description="Never offer the server's tools matching one of these patterns.",
        examples=[["delete_*"]],
    )
    read_only_hint: bool = Field(
        True,
        description="Trust a tool's readOnlyHint annotation: such a tool counts as changing "
        "nothing (no approval under supervised autonomy). Off: every tool of this server "
        "counts as changing things.",
    )

    @field_validator("name", mode="after")
    @classmethod
    def _no_separator(cls, value: str) -> str:
        if "__" in value or value.endswith("_"):
            raise ValueError(
                "an MCP server name may not contain '__' or end with '_' (its "
                "tools are named NAME__TOOL)"
            )
        return value

    @model_validator(mode="after")
    def _transport_fields(self) -> McpServerConfig:
        if self.transport == "stdio":
            if not self.command:
                raise ValueError(f"MCP server {self.name!r} uses stdio but has no command")
            if self.url or self.headers:
                raise ValueError(
                    f"MCP server {self.name!r} uses stdio: url and headers are for HTTP"
                )
        else:
            if not self.url:
                raise ValueError(f"MCP server {self.name!r} uses {self.transport} but has no url")
            if not self.url.startswith(("http://", "https://")):
                raise ValueError(f"MCP server {self.name!r}: url must start with http(s)://")
            if self.command or self.args or self.env:
                raise ValueError(
                    f"MCP server {self.name!r} uses {self.transport}: command, args and env "
                    "are for stdio"
                )
        return self


class McpServeConfig(Section):
    """`zeroclaw mcp serve`: this runtime's tools offered to MCP clients."""

    host: str = Field(
        "127.0.0.1",
        description="streamable-http: address to bind. Anything but loopback needs a gateway "
        "token (gateway.tokens or ZEROCLAW_GATEWAY_TOKEN), which every request must then "
        "present.",
    )
    port: int = Field(8765, ge=0, le=65535, description="streamable-http: port (0: any free).")
    path: str = Field("/mcp", pattern=r"^/[A-Za-z0-9/_-]*$", description="streamable-http path.")
    tools: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Tools offered (patterns); the security policy still applies to each call.",
        examples=[["file_read", "word_count"]],
    )


class McpConfig(Section):
    """MCP: external servers' tools for the agent, and this runtime's tools as a server."""

    servers: list[McpServerConfig] = Field(
        default_factory=list,
        description="MCP servers whose tools the agent may call ([[mcp.servers]]).",
        examples=[
            [
                {
                    "name": "github",
                    "transport": "stdio",
                    "command": "npx",
                    "args": ["-y", "@modelcontextprotocol/server-github"],
                    "env": {"GITHUB_TOKEN": "..."},
                }
            ]
        ],
    )
    reconnect_initial_backoff_ms: int = Field(
        500,
        ge=0,
        le=600_000,
        description="Wait before reconnecting to a failed server (doubled after each "
        "failure in a row).",
    )
    reconnect_max_backoff_ms: int = Field(
        30_000, ge=0, le=3_600_000, description="Upper bound of that wait."
    )
    max_tools_per_server: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="Tools taken from one server's list; the rest are left out, and "
        "`zeroclaw mcp probe` / `mcp tools` and the log say the list was cut.",
    )
    max_tool_pages: int = Field(
        100,
        ge=1,
        le=10_000,
        description="Pages of one server's tool list read (each list request returns a "
        "page and a cursor to the next); a list that goes on is cut there.",
    )
    serve: McpServeConfig = Field(default_factory=McpServeConfig)

    @field_validator("servers", mode="after")
    @classmethod
    def _unique_names(cls, value: list[McpServerConfig]) -> list[McpServerConfig]:
        seen: set[str] = set()
        for server in value:
            if server.name in seen:
                raise ValueError(f"two MCP servers are named {server.name!r}")
            seen.add(server.name)
        return value


class Config(Section):
    """The whole file. Top-level keys, then one table per part of the runtime."""

    data_dir: ConfigPath = Field(
        default_factory=default_data_dir,
        description="Where the memory database, workspace and caches live.",
        json_schema_extra={
            PLATFORM_DEFAULT: "the platform's user data dir: ~/.local/share/zeroclaw on Linux "
            "($XDG_DATA_HOME), ~/Library/Application Support/zeroclaw on macOS"
        },
    )
    agent: AgentConfig = Field(default_factory=AgentConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    memory: MemoryConfig = Field(default_factory=MemoryConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    hooks: HooksSettings = Field(default_factory=HooksSettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    mcp: McpConfig = Field(default_factory=McpConfig)
    # The variables this config names, with the .env file found for it (set by the loader,
    # config/effective.py); not a key of the file.
    _env: NamedEnv = PrivateAttr(default=ENVIRONMENT_ONLY)

    @property
    def env(self) -> NamedEnv:
        """Where the variables this config names are read: the environment, then the
        `.env` file found for this config (zeroclaw.named_env)."""
        return self._env

    def with_env_file(self, env_file: EnvFile | None) -> Config:
        """This config, reading its named variables from `env_file` too (the loader's)."""
        self._env = NamedEnv(env_file)
        return self

    @model_validator(mode="after")
    def _command_logger_carries_over(self) -> Config:
        """[hooks.command_logger] is the audit log's old name: a key it still sets stands
        for the [audit] key of the same name, unless [audit] sets that one itself."""
        old = self.hooks.command_logger
        for name in sorted(old.model_fields_set):
            value = getattr(old, name)
            if value is not None and name not in self.audit.model_fields_set:
                setattr(self.audit, name, value)
        return self

    @property
    def workspace(self) -> Path:
        return self.tools.workspace or self.data_dir / "workspace"

    @property
    def audit_path(self) -> Path:
        """audit.path as a path; a relative one starts in data_dir."""
        path = Path(self.audit.path).expanduser()
        return path if path.is_absolute() else self.data_dir / path

    @property
    def plugin_cache_dir(self) -> Path:
        """The compile cache: plugins.cache_dir, or DATA_DIR/plugin-cache."""
        return self.plugins.cache_dir or self.data_dir / "plugin-cache"

    @property
    def memory_path(self) -> Path:
        """The SQLite file of backend sqlite (where it would be, for any backend)."""
        return self.memory.path or self.data_dir / "zeroclaw.db"

    def memory_location(self, environ: Mapping[str, str] | None = None) -> DatabaseLocation:
        """Where the memory lives: the SQLite file, or the PostgreSQL database of
        memory.url (else $ZEROCLAW_DATABASE_URL)."""
        if self.memory.backend == "sqlite":
            if self.memory.url is not None:
                # Not silently ignored: whoever set it meant the memory to live there.
                raise InvalidDatabaseUrlError(
                    'memory.url is set, but memory.backend is "sqlite"',
                    hint='set memory.backend = "postgres" to use that database, or remove '
                    "memory.url to keep the memory in the SQLite file",
                )
            return sqlite_location(self.memory_path, synchronous=self.memory.sqlite_synchronous)
        if self.memory.url is not None:
            return postgres_location(self.memory.url)
        found = self.env.lookup(DATABASE_URL_ENV, environ)
        if found is not None:
            key = f"{DATABASE_URL_ENV} in {found.origin}" if found.from_env_file else None
            return postgres_location(found.value, key=key or DATABASE_URL_ENV)
        raise InvalidDatabaseUrlError(
            'memory.backend is "postgres", but there is no database URL',
            hint=f"set memory.url, or {DATABASE_URL_ENV} (in the environment or the .env "
            "file beside the config), to postgresql://USER:PASSWORD@HOST:5432/DATABASE",
        )
