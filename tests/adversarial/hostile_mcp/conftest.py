"""The hostile MCP server's tests reuse the MCP suite's helpers (tests/mcp_suite)."""

from __future__ import annotations

import sys
from pathlib import Path

MCP_TESTS = Path(__file__).resolve().parents[2] / "mcp_suite"
if str(MCP_TESTS) not in sys.path:
    sys.path.insert(0, str(MCP_TESTS))
