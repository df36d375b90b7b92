"""The benchmark suite at tiny sizes (`benchmarks/suite.py --smoke`), so it cannot rot: it
runs to the end and writes its JSON and Markdown with every part. Figures are not checked:
speed is measured in benchmarks/, never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SUITE = Path(__file__).parents[2] / "benchmarks" / "suite.py"


def test_the_suite_runs_every_part_and_writes_json_and_markdown(tmp_path: Path) -> None:
    out_json, out_md = tmp_path / "benchmarks.json", tmp_path / "benchmarks.md"
    out_md.write_text("# Benchmarks\n\nkept text\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cache = tmp_path / "persistent-cache"  # not the user's: a test leaves nothing behind

    command = [sys.executable, SUITE, "--smoke", "--json", out_json, "--markdown", out_md]
    done = subprocess.run(
        [*command, "--cache-dir", cache],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out_json.read_text())
    assert {"machine", "sizes", "notes", "hook_call_us", "loading_ms", "concurrency"} <= set(
        results
    )
    assert results["machine"]["versions"]["wasmtime"]
    # The plugins compiled into the persistent cache, which the output names.
    assert results["compile_cache"] == {"kind": "persistent", "path": str(cache.resolve())}
    assert list(cache.glob("*.cwasm"))
    assert "Compile cache: persistent" in done.stderr
    hook = results["hook_call_us"]
    default = "plugin via HookRunner (default: timeout_ms 1000, inline first)"
    for name in ("native via HookRunner", default, "conversion layer"):
        assert hook[name]["median"] > 0
        assert hook[name]["p25"] <= hook[name]["median"] <= hook[name]["p75"]
    assert hook[default]["ratios"]["x native via HookRunner"] > 0
    assert "plugin via HookRunner (worker thread: inline_first off)" in hook
    if "Extism" not in results["notes"]:  # the peer runs wherever the dev extra is installed
        assert "x Extism bare call" in hook["Extism with JSON payload"]["ratios"]
    turns = results["agent_turn_ms"]
    ten = "10 WAT plugins (default: inline first)"
    assert set(turns) >= {"plugins disabled", "1 WAT plugin (default: inline first)", ten}
    assert turns["plugins disabled"]["ratios"]["x plugins disabled"] == 1.0
    assert turns[ten]["in_hook_dispatch_ms"] > 0
    assert set(results["concurrency"]) == {"1 threads", "2 threads", "4 threads", "8 threads"}
    assert "WAT" in results["rss"]
    assert set(results["gateway"]) == {
        "bare FastAPI route",
        "gateway, plugins disabled",
        "gateway, plugins enabled",
    }
    markdown = out_md.read_text()
    assert "kept text" in markdown  # only the suite's own section is replaced
    assert "<!-- benchmark-suite:start -->" in markdown
    assert "### An agent turn with a tool call" in markdown
    assert f"Compile cache: persistent, {cache.resolve()}" in markdown
    assert "skipped: --smoke runs WAT guests only" in markdown
