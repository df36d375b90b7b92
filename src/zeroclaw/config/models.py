"""The TOML configuration, as pydantic models.

Every key has a type, a default and a description; the descriptions are what
`zeroclaw config init` writes as comments and what docs/config-reference.md lists.
Unknown keys are rejected (`extra="forbid"`) so a typo never passes silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, field_validator

APP_NAME = "zeroclaw"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


class Section(BaseModel):
    """A config table: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


Autonomy = Literal["read_only", "supervised", "full"]
ProviderKind = Literal["offline", "scripted", "openai", "anthropic"]


class CompactionConfig(Section):
    enabled: bool = Field(True, description="Summarize old history when it exceeds the budget.")
    max_history_tokens: int = Field(
        6000, ge=200, description="Estimated tokens of history above which compaction runs."
    )
    keep_recent_messages: int = Field(
        6, ge=1, description="Messages kept verbatim after a compaction (the rest is summarized)."
    )


class AgentConfig(Section):
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
    max_attempts: int = Field(3, ge=1, le=20, description="Tries per provider (first included).")
    initial_backoff_ms: int = Field(500, ge=0, description="Wait before the first retry.")
    max_backoff_ms: int = Field(8000, ge=0, description="Upper bound of one wait.")


class RouteConfig(Section):
    provider: str = Field(description="Provider name (a key of [llm.providers] or a kind).")
    model: str = Field(description="Model passed to that provider.")


class ProviderConfig(Section):
    kind: ProviderKind = Field(description="Wire format: offline, scripted, openai or anthropic.")
    base_url: str | None = Field(
        None, description="API base URL (openai kind: any OpenAI-compatible server)."
    )
    api_key_env: str | None = Field(
        None, description="Environment variable that holds the API key (never the key itself)."
    )
    model: str | None = Field(None, description="Default model of this provider.")
    timeout_s: float = Field(60.0, gt=0, description="Timeout of one request, in seconds.")
    script: Path | None = Field(None, description="scripted kind: JSON file of responses.")


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
    provider: str = Field(
        "offline",
        description="Provider used by default: a key of [llm.providers] (offline needs no key).",
    )
    model: str | None = Field(
        None, description="Model to ask for; empty uses the provider's own default model."
    )
    fallbacks: list[str] = Field(
        default_factory=list,
        description="Providers tried in order when the default keeps failing after retries.",
    )
    retry: RetryConfig = Field(default_factory=RetryConfig)
    routes: dict[str, RouteConfig] = Field(
        default_factory=dict,
        description='Model hints: model "hint:NAME" goes to routes.NAME (provider + model).',
    )
    providers: dict[str, ProviderConfig] = Field(
        default_factory=_builtin_providers,
        description="Named providers; entries you define are added to the built-in ones.",
    )

    @field_validator("providers", mode="after")
    @classmethod
    def _keep_builtins(cls, value: dict[str, ProviderConfig]) -> dict[str, ProviderConfig]:
        return {**_builtin_providers(), **value}


class ShellConfig(Section):
    allowed_commands: list[str] = Field(
        default_factory=lambda: ["ls", "cat", "echo", "pwd", "date", "wc", "head", "tail", "grep"],
        description="Programs the shell tool may run (first word of the command).",
    )
    timeout_s: float = Field(30.0, gt=0, description="A command running longer is killed.")
    max_output_bytes: int = Field(65536, ge=1024, description="Output beyond this is cut.")


class HttpRequestConfig(Section):
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description='Hosts the http_request tool may reach ("*.example.com" matches subdomains). '
        "Empty: no host.",
    )
    timeout_s: float = Field(20.0, gt=0, description="Timeout of one request, in seconds.")
    max_response_bytes: int = Field(262144, ge=1024, description="Response body beyond this is cut.")


class ToolsConfig(Section):
    autonomy: Autonomy = Field(
        "supervised",
        description="read_only: only tools that change nothing; supervised: changing tools "
        "need approval; full: no approval.",
    )
    allowed: list[str] = Field(
        default_factory=lambda: ["*"],
        description='Tools the model may call ("*" = every registered tool).',
    )
    workspace: Path | None = Field(
        None, description="Directory file tools are confined to; empty: DATA_DIR/workspace."
    )
    max_calls_per_turn: int = Field(20, ge=1, description="Tool calls allowed in one turn.")
    max_file_bytes: int = Field(1048576, ge=1024, description="Largest file read or written.")
    shell: ShellConfig = Field(default_factory=ShellConfig)
    http_request: HttpRequestConfig = Field(default_factory=HttpRequestConfig)


class MemoryConfig(Section):
    path: Path | None = Field(None, description="SQLite file; empty: DATA_DIR/zeroclaw.db.")
    recall_limit: int = Field(5, ge=1, le=100, description="Memories returned by one recall.")


class PluginLimits(Section):
    timeout_ms: int = Field(1000, ge=1, le=600_000, description="Wall-clock limit of one call.")
    memory_mb: int = Field(64, ge=1, le=4096, description="Linear memory cap of one instance.")
    max_concurrency: int = Field(4, ge=1, le=256, description="Concurrent calls into one plugin.")
    fuel: int | None = Field(
        None, ge=1, description="Optional instruction budget per call (slower; empty: off)."
    )


class PluginLimitsOverride(Section):
    timeout_ms: int | None = Field(None, ge=1, le=600_000, description="Overrides limits.timeout_ms.")
    memory_mb: int | None = Field(None, ge=1, le=4096, description="Overrides limits.memory_mb.")
    max_concurrency: int | None = Field(
        None, ge=1, le=256, description="Overrides limits.max_concurrency."
    )
    fuel: int | None = Field(None, ge=1, description="Overrides limits.fuel.")


class CapabilityRules(Section):
    allow: list[str] = Field(
        default_factory=list,
        description='Capabilities that may be granted (e.g. "log", "kv", "http:*.example.com"). '
        "Empty: nothing is granted.",
    )
    deny: list[str] = Field(
        default_factory=list, description="Capabilities never granted, even if allowed."
    )


class PluginOverride(Section):
    enabled: bool = Field(True, description="Load this plugin.")
    required: bool = Field(
        False, description="Refuse to serve if this plugin fails to load or is quarantined."
    )
    capabilities: CapabilityRules = Field(default_factory=CapabilityRules)
    limits: PluginLimitsOverride = Field(default_factory=PluginLimitsOverride)


class PluginsConfig(Section):
    enabled: bool = Field(False, description="Load WebAssembly plugins at all.")
    dirs: list[Path] = Field(
        default_factory=list,
        description="Directories searched for plugins (each subdirectory with a plugin.toml).",
    )
    hot_reload: bool = Field(False, description="Watch the plugin dirs and reload on change.")
    limits: PluginLimits = Field(default_factory=PluginLimits)
    capabilities: CapabilityRules = Field(default_factory=CapabilityRules)
    overrides: dict[str, PluginOverride] = Field(
        default_factory=dict, description="Per-plugin settings, keyed by plugin name."
    )


class Config(Section):
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the memory database, workspace and caches live.",
    )
    agent: AgentConfig = Field(default_factory=AgentConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    memory: MemoryConfig = Field(default_factory=MemoryConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)

    @property
    def workspace(self) -> Path:
        return self.tools.workspace or self.data_dir / "workspace"

    @property
    def memory_path(self) -> Path:
        return self.memory.path or self.data_dir / "zeroclaw.db"
