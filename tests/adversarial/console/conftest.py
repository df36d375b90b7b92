"""The console's own fixtures (tests/console/conftest.py: the compaction-floor plugin built
once, a plugin folder, a config file, a real `zeroclaw gateway` process), reused here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

CONSOLE_TESTS = Path(__file__).resolve().parents[2] / "console"
if str(CONSOLE_TESTS) not in sys.path:
    sys.path.insert(0, str(CONSOLE_TESTS))

_spec = importlib.util.spec_from_file_location("console_fixtures", CONSOLE_TESTS / "conftest.py")
assert _spec is not None
assert _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

floor_template = _fixtures.floor_template
plugins_dir = _fixtures.plugins_dir
config_file = _fixtures.config_file
gateway = _fixtures.gateway
