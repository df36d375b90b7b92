"""on_heartbeat_tick fires from the runtime's heartbeat task at the configured interval."""

from __future__ import annotations

import asyncio
from pathlib import Path

from zeroclaw.agent import AgentRuntime, DenyApprover
from zeroclaw.config import Config
from zeroclaw.hooks import Event, HeartbeatTick, hook


async def test_heartbeat_ticks_reach_hook_handlers(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data")
    config.hooks.heartbeat_interval_s = 0.02
    ticks: list[HeartbeatTick] = []
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        runtime.hooks.register(hook(Event.ON_HEARTBEAT_TICK)(ticks.append))
        runtime.start_heartbeat()
        for _ in range(200):
            if len(ticks) >= 3:
                break
            await asyncio.sleep(0.01)
    assert [tick.tick for tick in ticks[:3]] == [1, 2, 3]


async def test_no_heartbeat_when_the_interval_is_zero(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data")
    config.hooks.heartbeat_interval_s = 0
    ticks: list[HeartbeatTick] = []
    async with AgentRuntime.from_config(config, approver=DenyApprover()) as runtime:
        runtime.hooks.register(hook(Event.ON_HEARTBEAT_TICK)(ticks.append))
        runtime.start_heartbeat()
        await asyncio.sleep(0.1)
    assert ticks == []
