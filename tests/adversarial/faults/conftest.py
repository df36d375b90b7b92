"""Faults from outside the process: kill -9, a plugin dir vanishing mid-reload. The tests
here reuse the gateway harness (tests/gateway) and the WAT builder (tests/plugins)."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]
for shared in (TESTS / "gateway", TESTS / "plugins"):
    if str(shared) not in sys.path:
        sys.path.insert(0, str(shared))
