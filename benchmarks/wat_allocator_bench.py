"""Cost of the `cabi_realloc` and post-returns `zeroclaw plugins build` adds to a WAT module
(build.py `_REALLOC`), against the ring allocator the tests' wat_builder.py gives benchmark
guests (no post-return), in one run.

The guest: `before-tool-call` reads nothing and answers `unchanged`, so a call is the host
lowering the record into the guest's memory (three `cabi_realloc` calls), the call, and,
for the build's allocator, the post-return that frees the heap. Both guests are the same
module but for the allocator, called on one warm instance through the conversion layer
(`call_at`, as a warm instance is called). Rows run in alternating rounds; each figure is
the median over rounds of the wall time and of the process's CPU time per call. The ring
holds one call's arguments only up to 32 KiB: the 200 KiB row is the build's alone (its
memory grows once, to four pages, and stays there).

    .venv/bin/python benchmarks/wat_allocator_bench.py
    .venv/bin/python benchmarks/wat_allocator_bench.py --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import wasmtime
from report import load_line, machine_line, put_tests_on_path, replace_section
from wasmtime.component import Component, Linker

from zeroclaw.hooks import ToolCallRequest
from zeroclaw.plugins.authoring.build import wat_component, wit_root
from zeroclaw.plugins.wasm.conversion import codec_for, context_address, func_address

SECTION = "wat-allocator-bench"
HANDLER = "zeroclaw:hooks/handler@1.0.0"
UNCHANGED_WAT = """
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "\\0d")
  (data (i32.const 8) "\\00\\00\\00\\00\\01\\00\\00\\00")
  (data (i32.const 16) "\\00")
  (func (export "zeroclaw:hooks/handler@1.0.0#handles") (result i32) i32.const 8)
  (func (export "zeroclaw:hooks/handler@1.0.0#before-tool-call")
    (param i32 i32 i32 i32 i32 i32) (result i32)
    i32.const 16)
)
"""


def payload(size: int) -> ToolCallRequest:
    return ToolCallRequest("session-1", "shell", {"note": "x" * (size - 40)})


@dataclass
class Row:
    name: str
    call: Callable[[], object]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run(self, calls: int) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            self.call()
        self.wall.append((time.perf_counter() - wall) / calls)
        self.cpu.append((time.process_time() - cpu) / calls)


def warm_call(guest: Path, arguments: ToolCallRequest) -> Callable[[], object]:
    engine = wasmtime.Engine()
    component = Component.from_file(engine, guest)
    store = wasmtime.Store(engine)
    instance = Linker(engine).instantiate(store, component)
    index = component.get_export_index("before-tool-call", component.get_export_index(HANDLER))
    assert index is not None
    func = instance.get_func(store, index)
    assert func is not None
    codec = codec_for(func.type(store))
    addresses = (func_address(func), context_address(store))
    kept = (engine, store, func)  # alive as long as their addresses are used

    def call() -> object:
        assert kept
        return codec.call_at(*addresses, (arguments,))

    return call


def build_guests(work: Path) -> dict[str, Path]:
    put_tests_on_path("plugins")
    from wat_builder import with_ring_allocator

    hooks = wit_root() / "zeroclaw" / "hooks" / "v1"
    world = "zeroclaw:hooks/hooks@1.0.0"
    return {
        "ring": wat_component(
            with_ring_allocator(UNCHANGED_WAT), hooks, world, work / "ring.wasm", work
        ),
        "build": wat_component(UNCHANGED_WAT, hooks, world, work / "build.wasm", work),
    }


def table(rows: list[Row]) -> str:
    base = statistics.median(rows[0].cpu)
    lines = [
        "| guest, payload | wall us/call | CPU us/call | CPU ratio to the first row |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        wall, cpu = statistics.median(row.wall) * 1e6, statistics.median(row.cpu) * 1e6
        lines.append(f"| {row.name} | {wall:.1f} | {cpu:.1f} | {cpu / (base * 1e6):.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--write", type=Path, help="put the table in this Markdown file")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        guests = build_guests(Path(tmp))
        rows = [
            Row("ring allocator, 200 B", warm_call(guests["ring"], payload(200))),
            Row("build's allocator + post-return, 200 B", warm_call(guests["build"], payload(200))),
            Row(
                "build's allocator + post-return, 200 KiB",
                warm_call(guests["build"], payload(200 * 1024)),
            ),
        ]
        for row in rows:  # warm up, then drop the samples
            row.run(max(1, args.calls // 10))
            row.wall.clear()
            row.cpu.clear()
        for number in range(args.rounds):
            for row in rows if number % 2 == 0 else reversed(rows):
                row.run(args.calls)
    body = "\n".join(
        [
            table(rows),
            "",
            f"{args.rounds} rounds of {args.calls} calls per row, medians. {machine_line()} "
            f"{load_line(load)}",
        ]
    )
    print(body)
    if args.write:
        replace_section(args.write, SECTION, body)


if __name__ == "__main__":
    main()
