"""`zeroclaw hooks explain --payload` (the console's Hooks page's twin) given a payload a
hostile or careless paste could hold, through `python -m zeroclaw` in a real process, as
text and with `--json`: one error line (one JSON object on stderr), exit code 1, no
traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PAYLOADS = {
    "deep-arrays": ("[" * 40_000 + "]" * 40_000, "nested too deeply to read"),
    "deep-objects": ('{"a":' * 20_000 + "1" + "}" * 20_000, "nested too deeply to read"),
    "controls": ('{"session_id": "\\u0000\\u001b[2J\\u202e"}', "PromptBuild"),
}


def zeroclaw(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.toml"
    config.write_text(f"data_dir = {json.dumps(str(tmp_path / 'data'))}\n")
    return subprocess.run(
        [sys.executable, "-m", "zeroclaw", "--config", str(config), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "400"},
        timeout=120,
    )


@pytest.mark.parametrize("name", list(PAYLOADS))
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_hostile_payload_is_one_error_line(tmp_path: Path, name: str, as_json: bool) -> None:
    payload, says = PAYLOADS[name]
    args = ["hooks", "explain", "before_prompt_build", "--payload", payload]
    result = zeroclaw(tmp_path, *args, *(["--json"] if as_json else []))

    assert result.returncode == 1, result.stderr[-500:]
    assert "Traceback" not in result.stderr
    assert "RecursionError" not in result.stderr
    if as_json:
        (line,) = result.stderr.strip().splitlines()
        error = json.loads(line)["error"]
        assert says in error["message"]
        assert error["hint"]
    else:
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1
        assert says in result.stderr
