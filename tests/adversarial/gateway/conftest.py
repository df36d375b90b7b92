"""The gateway under generated input: the gateway harness (tests/gateway) runs the real app
under uvicorn on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

GATEWAY_TESTS = Path(__file__).resolve().parents[2] / "gateway"
if str(GATEWAY_TESTS) not in sys.path:
    sys.path.insert(0, str(GATEWAY_TESTS))
