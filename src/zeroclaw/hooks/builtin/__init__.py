"""The built-in hooks, registered through the same HookHandler interface as plugin hooks.

  session_memory   on_session_end, after_compaction, before_prompt_build
                                                   session summaries, recalled per user
  boot_script      before_prompt_build             a file rendered into the prompt
  webhook_audit    the void events chosen          events POSTed to an audit URL

Each is configured in its own [hooks.<name>] table. `register_builtin_hooks` checks them
all before registering any, so a misconfigured one stops start-up with an error naming
its key instead of leaving the others half registered.

command_logger, which wrote tool calls to a file, is gone: the audit log (an observer
backend, observability/audit.py) writes every tool call with its owner and approval, and
its old [hooks.command_logger] keys stand for [audit] ones (see config/models.py).
"""

from __future__ import annotations

from pathlib import Path

from zeroclaw.config import Config
from zeroclaw.config.secrets import config_redactor
from zeroclaw.hooks.builtin.boot_script import BootScript, BootScriptHook
from zeroclaw.hooks.builtin.errors import HookSetupError
from zeroclaw.hooks.builtin.session_memory import SessionMemory
from zeroclaw.hooks.builtin.webhook_audit import WebhookAudit
from zeroclaw.hooks.events import Event
from zeroclaw.hooks.handler import HookHandler
from zeroclaw.hooks.runner import HookRunner
from zeroclaw.memory import MemoryStore
from zeroclaw.observability import Redactor
from zeroclaw.providers import Provider
from zeroclaw.tools import PolicyViolation, SecurityPolicy

__all__ = [
    "BootScript",
    "BootScriptHook",
    "HookSetupError",
    "SessionMemory",
    "WebhookAudit",
    "build_builtin_hooks",
    "register_builtin_hooks",
]


def register_builtin_hooks(
    runner: HookRunner,
    *,
    config: Config,
    memory: MemoryStore,
    provider: Provider,
    model: str,
    policy: SecurityPolicy,
) -> list[str]:
    """Register the built-in hooks the config enables; the names registered."""
    handlers = build_builtin_hooks(
        config=config, memory=memory, provider=provider, model=model, policy=policy
    )
    runner.register(*handlers)
    return [handler.spec.name for handler in handlers]


def build_builtin_hooks(
    *,
    config: Config,
    memory: MemoryStore,
    provider: Provider,
    model: str,
    policy: SecurityPolicy,
) -> list[HookHandler]:
    """The enabled built-in hooks, built and checked (raises HookSetupError)."""
    settings = config.hooks
    handlers: list[HookHandler] = []

    recall = settings.session_memory
    if recall.enabled:
        handlers.append(
            SessionMemory(
                memory,
                provider,
                model,
                recall_limit=recall.recall_limit,
                max_recall_chars=recall.max_recall_chars,
                timeout_s=recall.summary_timeout_s,
                priority=recall.priority,
            )
        )

    boot = settings.boot_script
    if boot.path:
        script = BootScript.load(_config_path(config, boot.path))
        shell = config.tools.shell.model_copy(update={"timeout_s": boot.command_timeout_s})
        handlers.append(
            BootScriptHook(
                script,
                policy,
                shell,
                mode=boot.mode,
                max_output_chars=boot.max_output_chars,
                priority=boot.priority,
            )
        )

    if settings.webhook_audit.enabled:
        handlers.append(_webhook_audit(config, policy, config_redactor(config)))
    return handlers


def _webhook_audit(config: Config, policy: SecurityPolicy, redactor: Redactor) -> WebhookAudit:
    settings = config.hooks.webhook_audit
    if not settings.events:
        raise HookSetupError(
            "hooks.webhook_audit.events",
            "no events selected",
            hint='name the void events to send, e.g. events = ["on_session_end"]',
        )
    url = settings.url or ""
    try:
        policy.check_url(url)
    except PolicyViolation as refused:
        raise HookSetupError(
            "hooks.webhook_audit.url",
            refused.message,
            hint="add the URL's host to tools.http_request.allowed_hosts, or disable "
            "hooks.webhook_audit",
        ) from None
    secret = None
    if settings.secret_env:
        secret = config.env.getenv(settings.secret_env)
        if not secret:
            raise HookSetupError(
                "hooks.webhook_audit.secret_env",
                f"environment variable {settings.secret_env} is not set",
                hint=f"export {settings.secret_env}=... (or put it in the .env file beside the "
                "config), or remove secret_env to send "
                "unsigned requests",
            )
    return WebhookAudit(
        url,
        (Event.parse(name) for name in settings.events),
        redactor,
        attempts=settings.attempts,
        backoff_s=settings.backoff_ms / 1000,
        timeout_s=settings.timeout_s,
        secret=secret,
    )


def _config_path(config: Config, raw: str) -> Path:
    """A hook's file setting as a path; a relative one starts in data_dir."""
    path = Path(raw).expanduser()
    return path if path.is_absolute() else config.data_dir / path
