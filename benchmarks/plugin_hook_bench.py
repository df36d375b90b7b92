"""Cost of one modifying hook call, WASM plugin against native Python, in one run.

The hook: `before_tool_call` cancels a call of the tool "shell" and leaves others unchanged
(half the calls each way). One record goes in, one variant comes out. The same hook as:

  native function        a plain Python function called directly
  native via HookRunner  that function as a registered handler: `await runner.run(...)`
  pluggy                 a pluggy hook (firstresult, one implementation), if installed
  wasmtime public API    the WAT guest through `Func.__call__`, a prebuilt `Record` in
  conversion layer       the WAT guest through our cached codec, the payload dataclass in
                         (`call_at`, with the function's and store's addresses kept, as a
                         warm instance keeps them): the native call path where it is built
  conversion layer, Python path
                         the same codec on the Python fast path (where the native one is
                         built: the two side by side)
  PluginCalls.call       + breaker, call slot, warm-instance pool, deadline (what a call is)
  plugin via HookRunner  + the worker-thread hop and the runner: a hook plugin in a turn
  fresh store per call   a new Store + instantiate, then the codec call

Rows run in alternating rounds (each round runs every row once, in turn), and each row's
figure is the median over rounds, so drift of a shared machine touches all rows alike.
Ratios are to "native via HookRunner" (the native handler a plugin replaces) and to the
public API. Then: loading the component cold (compile) vs from the compile cache, and one
instantiation. Nothing here is asserted anywhere.

    .venv/bin/python benchmarks/plugin_hook_bench.py            # print the tables
    .venv/bin/python benchmarks/plugin_hook_bench.py --write docs/plugins-runtime.md
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import wasmtime
from report import machine_line, put_tests_on_path, replace_section
from wasmtime.component import Component, Linker, Record

from zeroclaw.hooks import Cancel, Event, HookRunner, ToolCallRequest, hook
from zeroclaw.plugins.authoring.build import package_wit_dir, wat_component, wit_root
from zeroclaw.plugins.wasm.conversion import codec_for, context_address, func_address

SECTION = "plugin-hook-bench"
HANDLER = "zeroclaw:hooks/handler@1.0.0"

# The guest: cancel "shell", leave anything else unchanged (built with the tests' ring
# allocator, so any number of calls fits in its one page).
GUARD_WAT = """
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\\0d")
  (data (i32.const 24) "\\10\\00\\00\\00\\01\\00\\00\\00")
  (data (i32.const 48) "shell")
  (data (i32.const 96) "blocked by bench")
  (data (i32.const 128) "\\02\\00\\00\\00\\60\\00\\00\\00\\10\\00\\00\\00")
  (data (i32.const 160) "\\00")
  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32) i32.const 24)
  (func (export "zeroclaw:hooks/handler@1.0.0#before-tool-call")
    (param $sid i32) (param $sid_len i32) (param $tool i32) (param $tool_len i32)
    (param $args i32) (param $args_len i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $tool_len) (i32.const 5)) (then (return (i32.const 160))))
    (block $differ
      (loop $next
        (br_if $differ
          (i32.ne (i32.load8_u (i32.add (local.get $tool) (local.get $i)))
                  (i32.load8_u (i32.add (i32.const 48) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $i) (i32.const 5))))
      (return (i32.const 128)))
    i32.const 160)
)
"""

# ~200 bytes of payload, like the peers table in the notes.
ARGUMENTS = {"command": "ls -la /srv/data/reports", "timeout_s": 30, "note": "x" * 120}
PAYLOADS = (
    ToolCallRequest("session-1", "shell", ARGUMENTS),
    ToolCallRequest("session-1", "ls", ARGUMENTS),
)


def native(call: ToolCallRequest) -> Cancel | None:
    return Cancel("blocked by bench") if call.tool == "shell" else None


@dataclass
class Row:
    name: str
    run: Callable[[int], float]  # calls -> seconds
    samples: list[float] = field(default_factory=list)

    @property
    def us(self) -> float:
        return statistics.median(self.samples) * 1e6


def build_guest(work: Path) -> Path:
    put_tests_on_path("plugins")
    from wat_builder import with_ring_allocator

    hooks_wit = package_wit_dir(wit_root(), _hooks_package())
    wat = with_ring_allocator(GUARD_WAT)
    return wat_component(wat, hooks_wit, "zeroclaw:hooks/hooks@1.0.0", work / "g.wasm", work)


def _hooks_package() -> Any:
    from zeroclaw.plugins.contract.abi import SUPPORTED

    return SUPPORTED["zeroclaw:hooks"]


def timed_sync(fn: Callable[[ToolCallRequest], object]) -> Callable[[int], float]:
    def run(calls: int) -> float:
        started = time.perf_counter()
        for index in range(calls):
            fn(PAYLOADS[index & 1])
        return (time.perf_counter() - started) / calls

    return run


def timed_async(
    loop: asyncio.AbstractEventLoop, fn: Callable[[ToolCallRequest], Awaitable[object]]
) -> Callable[[int], float]:
    async def many(calls: int) -> float:
        started = time.perf_counter()
        for index in range(calls):
            await fn(PAYLOADS[index & 1])
        return (time.perf_counter() - started) / calls

    return lambda calls: loop.run_until_complete(many(calls))


def rows_for(guest: Path, work: Path, loop: asyncio.AbstractEventLoop) -> list[Row]:
    engine = wasmtime.Engine()
    component = Component.from_file(engine, guest)
    store = wasmtime.Store(engine)
    instance = Linker(engine).instantiate(store, component)
    index = component.get_export_index("before-tool-call", component.get_export_index(HANDLER))
    assert index is not None, f"the guest exports no {HANDLER}#before-tool-call"
    func = instance.get_func(store, index)
    assert func is not None
    codec = codec_for(func.type(store))
    python_codec = codec_for(func.type(store), native=False)
    addresses = (func_address(func), context_address(store))
    records = [_record(p) for p in PAYLOADS]

    def public(payload: ToolCallRequest) -> object:
        return func(store, records[payload.tool == "ls"])

    def converted(payload: ToolCallRequest, kept: object = (func, store)) -> object:
        # `kept`: the function and store stay alive as long as their addresses are used
        return codec.call_at(*addresses, (payload,))

    def converted_in_python(payload: ToolCallRequest, kept: object = (func, store)) -> object:
        return python_codec.call_at(*addresses, (payload,))

    def fresh(payload: ToolCallRequest) -> object:
        new_store = wasmtime.Store(engine)
        new_instance = Linker(engine).instantiate(new_store, component)
        new_func = new_instance.get_func(new_store, index)
        assert new_func is not None
        return codec.call(new_func, new_store, [payload])

    native_runner = HookRunner()
    native_runner.register(hook(Event.BEFORE_TOOL_CALL, name="native")(native))
    plugin_calls, plugin_runner = _loaded_plugin(guest, work, "bench-guard", timeout_ms=1000)
    _, worker_runner = _loaded_plugin(
        guest, work, "bench-worker", timeout_ms=1000, inline_first=False
    )
    _, inline_runner = _loaded_plugin(guest, work, "bench-inline", timeout_ms=20)

    rows = [
        Row("native function", timed_sync(native)),
        Row(
            "native via HookRunner",
            timed_async(loop, lambda p: native_runner.run(Event.BEFORE_TOOL_CALL, p)),
        ),
    ]
    pluggy_hook = _pluggy_hook()
    if pluggy_hook is not None:
        rows.append(Row("pluggy (firstresult)", timed_sync(pluggy_hook)))
    rows += [
        Row("wasmtime public API", timed_sync(public)),
        Row("conversion layer", timed_sync(converted)),
        *(
            [Row("conversion layer, Python path", timed_sync(converted_in_python))]
            if codec.native is not None
            else []
        ),
        Row(
            "PluginCalls.call",
            timed_sync(lambda p: plugin_calls.call("before-tool-call", (p,), _identity)),
        ),
        Row(
            "plugin via HookRunner (default: timeout_ms 1000, inline first)",
            timed_async(loop, lambda p: plugin_runner.run(Event.BEFORE_TOOL_CALL, p)),
        ),
        Row(
            "plugin via HookRunner (worker thread: inline_first off)",
            timed_async(loop, lambda p: worker_runner.run(Event.BEFORE_TOOL_CALL, p)),
        ),
        Row(
            "plugin via HookRunner (inline: timeout_ms 20)",
            timed_async(loop, lambda p: inline_runner.run(Event.BEFORE_TOOL_CALL, p)),
        ),
        Row("fresh store per call", timed_sync(fresh)),
    ]
    return rows


def _identity(value: object) -> object:
    return value


def _record(payload: ToolCallRequest) -> Record:
    import json

    record = Record()  # its fields are its attributes, named as in the WIT
    vars(record).update(
        {
            "session-id": payload.session_id,
            "tool": payload.tool,
            "arguments": json.dumps(payload.arguments, ensure_ascii=False),
        }
    )
    return record


def _loaded_plugin(
    guest: Path, work: Path, name: str, *, timeout_ms: int, inline_first: bool = True
) -> tuple[Any, HookRunner]:
    """The guest as a real loaded plugin (registry, limits, grants), and a runner with it.
    With `timeout_ms` <= plugins.inline_call_ms (20) its calls run on the event loop's
    thread; above, inline first (the default: on the loop's thread, a call that overruns
    the inline deadline again on a worker thread), or with `inline_first` off on its
    worker threads."""
    import shutil

    from zeroclaw.config import Config
    from zeroclaw.plugins.lifecycle.registry import PluginRegistry

    directory = work / name / name
    directory.mkdir(parents=True)
    shutil.copy(guest, directory / "plugin.wasm")
    (directory / "plugin.toml").write_text(
        f'name = "{name}"\nversion = "1.0.0"\nwit_package = "zeroclaw:hooks@1.0.0"\n'
        'component = "plugin.wasm"\ncapabilities = ["hooks.conversation", "hooks.modify"]\n'
        f"[limits]\ntimeout_ms = {timeout_ms}\n"
    )
    config = Config(data_dir=work / f"data-{name}")
    config.plugins.enabled = True
    config.plugins.dirs = [work / name]
    config.plugins.capabilities.allow = ["hooks.conversation", "hooks.modify"]
    if "inline_first" in type(config.plugins).model_fields:  # an older tree: worker threads
        config.plugins.inline_first = inline_first
    registry = PluginRegistry.for_config(config)
    snapshot = registry.load(config.plugins)
    runner = HookRunner()
    runner.register(*snapshot.hook_handlers())
    return snapshot.plugins[name].calls, runner


def _pluggy_hook() -> Callable[[ToolCallRequest], object] | None:
    try:
        import pluggy
    except ImportError:
        return None
    spec = pluggy.HookspecMarker("bench")
    impl = pluggy.HookimplMarker("bench")

    class Spec:
        @spec(firstresult=True)
        def before_tool_call(self, call: ToolCallRequest) -> Cancel | None: ...

    class Impl:
        @impl
        def before_tool_call(self, call: ToolCallRequest) -> Cancel | None:
            return native(call)

    manager = pluggy.PluginManager("bench")
    manager.add_hookspecs(Spec)
    manager.register(Impl())
    caller = manager.hook.before_tool_call
    return lambda payload: caller(call=payload)


def measure(rows: list[Row], rounds: int, calls: int) -> None:
    for row in rows:  # warm up: first calls, instances, caches
        row.run(max(1, calls // 10))
    for _ in range(rounds):
        for row in rows:
            row.samples.append(row.run(calls))


def load_times(guest: Path, work: Path, repeats: int) -> dict[str, float]:
    """Median ms: compile (no cache), load from the compile cache, one instantiation."""
    from zeroclaw.plugins.wasm.engine import PluginEngine

    cold, cached, instantiate = [], [], []
    for index in range(repeats):
        with PluginEngine(cache_dir=work / f"cache-{index}") as engine:
            started = time.perf_counter()
            first = engine.load_component(guest)
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            second = engine.load_component(guest)
            cached.append(time.perf_counter() - started)
            assert not first.hit
            assert second.hit
            started = time.perf_counter()
            store = wasmtime.Store(engine.engine)
            store.set_epoch_deadline(engine.deadline(1000))
            Linker(engine.engine).instantiate(store, second.component)
            instantiate.append(time.perf_counter() - started)
    return {
        "compile (cold start)": statistics.median(cold) * 1000,
        "load from the compile cache": statistics.median(cached) * 1000,
        "new Store + instantiate": statistics.median(instantiate) * 1000,
    }


def render(rows: list[Row], loads: dict[str, float], rounds: int, calls: int) -> str:
    by_name = {row.name: row for row in rows}
    native_runner = by_name["native via HookRunner"].us
    public = by_name["wasmtime public API"].us
    lines = [
        "## Plugin hook call (last run)",
        "",
        f"One `before_tool_call` (record in, variant out, ~200-byte payload), median of "
        f"{rounds} alternating rounds of {calls} calls per row.",
        "",
        "| path | us/call | x native via HookRunner | x public API |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.name} | {row.us:.2f} | {row.us / native_runner:.2f} | {row.us / public:.2f} |"
        )
    lines += ["", "| loading the WAT guest | ms |", "|---|---:|"]
    lines += [f"| {name} | {value:.3f} |" for name, value in loads.items()]
    lines += [
        "",
        machine_line(),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--write", type=Path, help="replace the table section in this file")
    args = parser.parse_args(argv)
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        guest = build_guest(work)
        rows = rows_for(guest, work, loop)
        measure(rows, args.rounds, args.calls)
        loads = load_times(guest, work, repeats=5)
    loop.close()
    table = render(rows, loads, args.rounds, args.calls)
    print(table)
    if args.write is not None:
        replace_section(args.write, SECTION, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
