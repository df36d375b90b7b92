"""The suite's guests in Python and JavaScript, and the example plugins' handler bodies run
natively, so a guest language's row can be read apart from the work its plugin does.

  trivial guards   plugin_hook_bench's WAT guard (and Extism's) in Python and JavaScript:
                   `before-tool-call` cancels the tool "shell" with "blocked by bench" and
                   leaves any other call unchanged. Built with `zeroclaw plugins build`'s
                   code into .cache/bench-plugins (a rerun finds them up to date).
  handler bodies   redact-secrets' `tool_result_persist` run by this CPython (its
                   `wit_world` imports stubbed), and guard-shell's `beforeToolCall` run by
                   Node, on the payloads the suite gives the plugins: the plugin's own work,
                   without a sandbox.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zeroclaw.errors import ZeroClawError
from zeroclaw.plugins.authoring.build import build_plugin

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "plugins"
WORK = ROOT / ".cache" / "bench-plugins"

GUARD_PY = """
from wit_world import exports
from wit_world.exports import handler as h


class Handler(exports.Handler):
    def handles(self):
        return [h.Event.BEFORE_TOOL_CALL]

    def before_tool_call(self, event):
        if event.tool == "shell":
            return h.BeforeToolCallResult_Cancel(h.Cancellation("blocked by bench"))
        return h.BeforeToolCallResult_Unchanged()

    def on_gateway_start(self, event): pass
    def on_gateway_stop(self): pass
    def on_session_start(self, event): pass
    def on_session_end(self, event): pass
    def on_llm_input(self, event): pass
    def on_llm_output(self, event): pass
    def on_after_tool_call(self, event): pass
    def on_message_sent(self, event): pass
    def on_heartbeat_tick(self, event): pass
    def after_compaction(self, event): pass
    def before_model_resolve(self, event): return h.BeforeModelResolveResult_Unchanged()
    def before_prompt_build(self, event): return h.BeforePromptBuildResult_Unchanged()
    def before_llm_call(self, event): return h.BeforeLlmCallResult_Unchanged()
    def on_message_received(self, event): return h.MessageReceivedResult_Unchanged()
    def on_message_sending(self, event): return h.MessageSendingResult_Unchanged()
    def before_compaction(self, event): return h.BeforeCompactionResult_Unchanged()
    def tool_result_persist(self, event): return h.ToolResultPersistResult_Unchanged()
"""

GUARD_JS = """
const UNCHANGED = { tag: 'unchanged' };
const BLOCKED = { tag: 'cancel', val: { reason: 'blocked by bench' } };

export const handler = {
  handles() { return ['before-tool-call']; },
  beforeToolCall(event) { return event.tool === 'shell' ? BLOCKED : UNCHANGED; },
  onGatewayStart(_event) {},
  onGatewayStop() {},
  onSessionStart(_event) {},
  onSessionEnd(_event) {},
  onLlmInput(_event) {},
  onLlmOutput(_event) {},
  onAfterToolCall(_event) {},
  onMessageSent(_event) {},
  onHeartbeatTick(_event) {},
  afterCompaction(_event) {},
  beforeModelResolve(_event) { return UNCHANGED; },
  beforePromptBuild(_event) { return UNCHANGED; },
  beforeLlmCall(_event) { return UNCHANGED; },
  onMessageReceived(_event) { return UNCHANGED; },
  onMessageSending(_event) { return UNCHANGED; },
  beforeCompaction(_event) { return UNCHANGED; },
  toolResultPersist(_event) { return UNCHANGED; },
};
"""

# name -> (entry file, source)
TRIVIAL = {
    "trivial-guard-py": ("app.py", GUARD_PY),
    "trivial-guard-js": ("plugin.js", GUARD_JS),
}


def write_trivial(plugins: Path = WORK) -> dict[str, Path]:
    """The trivial guard plugin directories (rewritten as they are: builds stay cached)."""
    out = {}
    for name, (entry, source) in TRIVIAL.items():
        directory = plugins / name
        directory.mkdir(parents=True, exist_ok=True)
        if not (directory / entry).is_file() or (directory / entry).read_text() != source:
            (directory / entry).write_text(source)
        manifest = (
            f'name = "{name}"\nversion = "1.0.0"\nwit_package = "zeroclaw:hooks@1.0.0"\n'
            'component = "plugin.wasm"\ncapabilities = ["hooks.conversation", "hooks.modify"]\n'
        )
        if (
            not (directory / "plugin.toml").is_file()
            or (directory / "plugin.toml").read_text() != manifest
        ):
            (directory / "plugin.toml").write_text(manifest)
        out[name] = directory
    return out


def build(directory: Path) -> str | None:
    """Build one plugin (nothing when up to date); None, or why it cannot be built here."""
    try:
        result = build_plugin(directory)
    except ZeroClawError as error:
        return f"{directory.name} could not be built: {error}"
    print(f"{'up to date' if result.cached else 'built'} {directory.name}", file=sys.stderr)
    return None


# -- the example plugins' handler bodies, natively ------------------------------------------------


class _Stub(types.ModuleType):
    """`wit_world` and its submodules: every name is a plain class (or a submodule)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value: Any = (
            _Stub(f"{self.__name__}.{name}")
            if name in {"exports", "imports", "handler", "log"}
            else type(name, (), {"__init__": lambda self, *a, **k: None})
        )
        setattr(self, name, value)
        return value


def redact_secrets_native(output: str) -> Callable[[], object]:
    """redact-secrets' `tool_result_persist` on a result of `output`, run by this CPython."""
    stubs = {name: _Stub(name) for name in ("wit_world", "wit_world.exports", "wit_world.imports")}
    stubs["wit_world.exports.handler"] = _Stub("wit_world.exports.handler")
    stubs["wit_world"].exports = stubs["wit_world.exports"]  # type: ignore[attr-defined]
    stubs["wit_world"].imports = stubs["wit_world.imports"]  # type: ignore[attr-defined]
    stubs["wit_world.exports"].handler = stubs["wit_world.exports.handler"]  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in stubs}
    sys.modules.update(stubs)
    try:
        namespace: dict[str, Any] = {"__name__": "redact_secrets_native"}
        source = (EXAMPLES / "redact-secrets" / "app.py").read_text()
        exec(compile(source, "redact-secrets/app.py", "exec"), namespace)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    handler = namespace["Handler"]()
    result = types.SimpleNamespace(success=True, output=output, error=None)
    event = types.SimpleNamespace(
        session_id="session-1", tool="ls", call_id="call-1", result=result
    )
    return lambda: handler.tool_result_persist(event)


NODE_TIMER = """
import { handler } from './plugin.mjs';
const [calls, ...payloads] = JSON.parse(process.argv[2]);
for (let i = 0; i < 5000; i++) handler.beforeToolCall(payloads[i & 1]);
const started = process.hrtime.bigint();
for (let i = 0; i < calls; i++) handler.beforeToolCall(payloads[i & 1]);
console.log(Number(process.hrtime.bigint() - started) / 1e9 / calls);
"""


def guard_shell_node(work: Path, payloads: list[dict[str, str]]) -> Callable[[int], float] | str:
    """A row's run (calls -> seconds per call) of guard-shell's `beforeToolCall` under Node,
    timed inside Node (its start-up is not counted); or why Node cannot run it."""
    node = shutil.which("node")
    if node is None:
        return "node is not on PATH"
    directory = work / "guard-shell-node"
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / "guard-shell" / "plugin.js", directory / "plugin.mjs")
    (directory / "timer.mjs").write_text(NODE_TIMER)

    def run(calls: int) -> float:
        done = subprocess.run(
            [node, directory / "timer.mjs", json.dumps([calls, *payloads])],
            capture_output=True,
            text=True,
            check=True,
        )
        return float(done.stdout.strip())

    return run
