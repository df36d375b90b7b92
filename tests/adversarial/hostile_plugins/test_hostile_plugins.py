"""The hostile-plugin matrix: every attack a plugin can make on the host, in each world
(hooks, tools, providers), loaded beside a good plugin of the same world and called through
the real adapters, as the agent calls them (the hook runner's dispatch, the tool registry,
the provider plugin's chat).

For every cell: the host lives (this test goes on running), the failure is one typed error
naming the plugin, the function and the cause, it is counted against the plugin (its
breaker sees one failure, not a quarantine), and the good plugin beside it still answers.
Load-time cells (a hostile self-description, imports nothing granted) fail that plugin's
load with an error naming the interface and the config key, and the good plugin loads.
HTTP cells: the host's `http` refuses or cuts the request and hands the guest a typed
`http-error`; the guest relays it and stays healthy.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hostile_support import PluginDirs

from host_helpers import LocalServer  # isort: skip (on sys.path via hostile_support)

from zeroclaw.agent import AgentRuntime, AllowApprover
from zeroclaw.config import Config
from zeroclaw.hooks import Event
from zeroclaw.hooks.events import PromptBuild
from zeroclaw.messages import ChatMessage
from zeroclaw.plugins.errors import (
    DescribeError,
    ImportNotGrantedError,
    PluginBadResult,
    PluginCallError,
    PluginError,
    PluginMemoryExceeded,
    PluginQuarantined,
    PluginTimeout,
    PluginTrap,
)
from zeroclaw.plugins.host.http import MAX_RESPONSE_BYTES
from zeroclaw.plugins.lifecycle.snapshot import PluginSnapshot
from zeroclaw.plugins.wasm.breaker import BreakerSettings
from zeroclaw.providers import ChatRequest, ProviderError
from zeroclaw.tools import ToolContext

HOSTILE = "hostile"
# Tight limits keep the matrix fast; 48 MiB holds the guests' 16 MiB strings and lists.
LIMITS = {"timeout_ms": 200, "memory_mb": 48}
# A cell that tests a cap, not the time limit, but whose guest works a while first (a
# million list items): time enough that a loaded machine cannot turn it into a timeout
# (seen with CI and two other test runs sharing 2 cores: the native ticker keeps time
# under load, where the Python one fell behind and gave such a guest more).
SLOW_CELL_TIMEOUT_MS = 5000
HOOK_GRANTS = ("hooks.conversation", "hooks.modify")
MESSAGES = (ChatMessage("user", "hi"),)
PIRATE = "Speak like a pirate."
COUNTERS: dict[type[PluginCallError], str] = {
    PluginTimeout: "timeouts",
    PluginMemoryExceeded: "memory",
    PluginTrap: "traps",
    PluginBadResult: "bad_results",
}


# -- the worlds: how the agent calls a plugin of each, and what the good one answers --------


@dataclass
class Outcome:
    """What one call of the hostile plugin ended with."""

    message: str | None = None  # the failure as the caller sees it; None: it succeeded
    error: BaseException | None = None  # the typed error itself, where the caller holds it
    size: int = 0  # the size of what it returned, when it succeeded


@dataclass
class World:
    name: str
    hostile: str  # the hostile guest's component
    good: str  # the good plugin's name (its component: WORLD_good)
    function: str  # the WIT function the attacks go through
    call: Callable[[AgentRuntime, str, pytest.LogCaptureFixture], Awaitable[Outcome]]
    answers: Callable[[AgentRuntime], Awaitable[bool]]
    capabilities: tuple[str, ...] = ()
    priority: int | None = None


async def call_hook(runtime: AgentRuntime, trigger: str, log: pytest.LogCaptureFixture) -> Outcome:
    log.clear()
    result = await runtime.live_hooks().run(
        Event.BEFORE_PROMPT_BUILD, prompt(trigger), explain=True
    )
    assert result.explanation is not None
    step = next(s for s in result.explanation.steps if s.handler == HOSTILE)
    assert result.payload.system_prompt == PIRATE  # the chain went on to the good plugin
    if step.outcome == "continue":
        return Outcome()
    assert step.outcome == "error"
    raised = [r.exc_info[1] for r in log.records if r.exc_info and r.name == "zeroclaw.hooks"]
    return Outcome(step.detail, raised[-1] if raised else None)


async def hook_answers(runtime: AgentRuntime) -> bool:
    result = await runtime.live_hooks().run(Event.BEFORE_PROMPT_BUILD, prompt("fine"))
    return result.payload.system_prompt == PIRATE


def prompt(session_id: str) -> PromptBuild:
    # The hostile hook picks its attack by the session id's first letter.
    return PromptBuild(session_id, "terminal", None, "You are helpful.", ())


async def call_tool(runtime: AgentRuntime, trigger: str, _: pytest.LogCaptureFixture) -> Outcome:
    tools = runtime.live_tools()
    result = await tools.execute(trigger, {}, ToolContext("s1", runtime.config.workspace))
    if result.success:
        assert len(result.output.encode()) <= tools.max_output_bytes + 100  # capped
        return Outcome(size=len(result.output))
    return Outcome(result.error)


async def tool_answers(runtime: AgentRuntime) -> bool:
    context = ToolContext("s1", runtime.config.workspace)
    result = await runtime.live_tools().execute("echo", {"text": "still here"}, context)
    return result.output == '{"text": "still here"}'


async def call_provider(
    runtime: AgentRuntime, trigger: str, _: pytest.LogCaptureFixture
) -> Outcome:
    provider = current(runtime).provider(HOSTILE)
    assert provider is not None
    try:
        response = await provider.chat(ChatRequest(MESSAGES, trigger))
    except ProviderError as error:
        # "provider 'plugin:NAME': ...", and its hint
        return Outcome(str(error), error.__cause__)
    return Outcome(size=len(response.text or ""))


async def provider_answers(runtime: AgentRuntime) -> bool:
    provider = current(runtime).provider("fixed")
    assert provider is not None
    return (await provider.chat(ChatRequest(MESSAGES, ""))).text == "hello from wasm"


WORLDS = {
    "hooks": World(
        "hooks",
        "hook_hostile",
        "pirate",
        "before-prompt-build",
        call_hook,
        hook_answers,
        HOOK_GRANTS,
        priority=10,  # the hostile handler runs first, the good one after it
    ),
    "tools": World("tools", "tool_hostile", "echoer", "call", call_tool, tool_answers),
    "providers": World(
        "providers", "provider_hostile", "fixed", "chat", call_provider, provider_answers
    ),
}


def current(runtime: AgentRuntime) -> PluginSnapshot:
    assert runtime.plugins is not None
    return runtime.plugins.current()


def add_good(plugin_dirs: PluginDirs, world: World) -> None:
    plugin_dirs.add(world.good, f"{world.name}_good", world.name, capabilities=world.capabilities)


def runtime_for(config: Config) -> AgentRuntime:
    return AgentRuntime.from_config(config, approver=AllowApprover())


# -- calls that attack the host ---------------------------------------------------------------


@dataclass(frozen=True)
class Attack:
    """One cell: `trigger` picks the attack in the world's hostile guest (its first letter:
    the tool's name, the hook event's session id, the provider request's model)."""

    name: str
    world: str
    trigger: str
    error: type[PluginCallError] | None  # None: the host takes it, bounded
    words: tuple[str, ...] = ()
    timeout_ms: int = LIMITS["timeout_ms"]


def attacks(world: str, *overrides: Attack) -> list[Attack]:
    cells = {
        "loop-forever": Attack(
            "loop-forever", world, "spin", PluginTimeout, ("time limit of 200 ms", "timeout_ms")
        ),
        "allocate-to-the-cap": Attack(
            "allocate-to-the-cap",
            world,
            "memory",
            PluginMemoryExceeded,
            ("out of bounds memory access", "memory limit is 48 MiB", "memory_mb"),
        ),
        "recurse-past-the-stack": Attack(
            "recurse-past-the-stack", world, "recurse", PluginTrap, ("call stack exhausted",)
        ),
        "trap": Attack("trap", world, "trap", PluginTrap, ("unreachable",)),
        "invalid-utf8": Attack(
            "invalid-utf8", world, "utf8", PluginBadResult, ("invalid utf-8", "canonical ABI")
        ),
        "bad-variant-tag": Attack(
            "bad-variant-tag", world, "variant", PluginBadResult, ("discriminant 7 out of range",)
        ),
        "out-of-bounds-pointer": Attack(
            "out-of-bounds-pointer",
            world,
            "oob",
            PluginBadResult,
            ("string pointer/length out of bounds",),
        ),
        "huge-string": Attack("huge-string", world, "huge", None),
        "millions-of-items": Attack(
            "millions-of-items",
            world,
            "lots",
            PluginBadResult,
            ("a list of 1000000 items", "at most 100000"),
            timeout_ms=SLOW_CELL_TIMEOUT_MS,
        ),
    }
    for override in overrides:
        cells[override.name] = override
    return [cell for cell in cells.values() if cell.world == world]


ATTACKS = [
    # A hook's change goes on to the next handler: growing a field past the host's text cap
    # fails the hook that did it, and its neighbour gets the payload unchanged.
    *attacks(
        "hooks",
        Attack(
            "huge-string",
            "hooks",
            "huge",
            PluginBadResult,
            ("over the cap of 1,048,576 bytes", "plugins.limits.max_answer_bytes"),
        ),
    ),
    # A tool call's result holds no list: the tools world's list is its self-description
    # (see LOAD_CELLS, describe-lots).
    *attacks("tools", Attack("millions-of-items", "-", "", None)),
    # 1,000,000 tool calls are 3,000,000 strings: wasmtime stops copying before the host's
    # list cap is reached, with a trap of its own.
    *attacks(
        "providers",
        Attack(
            "millions-of-items",
            "providers",
            "lots",
            PluginTrap,
            ("too much data is being copied between the host and the guest",),
            timeout_ms=SLOW_CELL_TIMEOUT_MS,
        ),
    ),
]


# Known holes: the cell fails today and must start passing when the hole is closed.
HOLES: dict[tuple[str, str], str] = {}


def marked(attack: Attack) -> object:
    reason = HOLES.get((attack.world, attack.name))
    if reason is None:
        return attack
    return pytest.param(attack, marks=pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize(
    "attack", [marked(a) for a in ATTACKS], ids=lambda a: f"{a.world}-{a.name}"
)
async def test_a_hostile_call_fails_typed_and_the_good_plugin_keeps_answering(
    attack: Attack, plugin_dirs: PluginDirs, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    world = WORLDS[attack.world]
    plugin_dirs.add(
        HOSTILE,
        world.hostile,
        world.name,
        capabilities=world.capabilities,
        limits={**LIMITS, "timeout_ms": attack.timeout_ms},
        priority=world.priority,
    )
    add_good(plugin_dirs, world)

    async with runtime_for(config) as runtime:
        outcome = await world.call(runtime, attack.trigger, caplog)
        plugin = current(runtime).plugins[HOSTILE]
        stats, breaker = plugin.calls.stats(), plugin.calls.breaker_status()
        answered = await world.answers(runtime)
        again = await world.answers(runtime)

    assert answered
    assert again
    if attack.error is None:
        assert outcome.message is None
        assert outcome.size > 0
        assert (stats.ok, stats.failures) == (1, 0)
        return
    assert outcome.message is not None
    assert f"plugin {HOSTILE!r} {attack.error.what} in {world.function}: " in outcome.message
    for words in attack.words:
        assert words in outcome.message
    if outcome.error is not None:  # hooks and providers hold the typed error itself
        assert type(outcome.error) is attack.error
        assert isinstance(outcome.error, PluginCallError)
        assert (outcome.error.plugin, outcome.error.function) == (HOSTILE, world.function)
    assert getattr(stats, COUNTERS[attack.error]) == 1
    assert (stats.failures, stats.instances_discarded) == (1, 1)
    assert breaker.consecutive_failures == 1
    assert plugin.state == "loaded"


@pytest.mark.parametrize("world_name", list(WORLDS))
async def test_a_plugin_that_keeps_failing_is_quarantined_and_its_neighbour_answers(
    world_name: str, plugin_dirs: PluginDirs, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    world = WORLDS[world_name]
    plugin_dirs.add(
        HOSTILE,
        world.hostile,
        world.name,
        capabilities=world.capabilities,
        limits=LIMITS,
        priority=world.priority,
    )
    add_good(plugin_dirs, world)
    threshold = BreakerSettings().failure_threshold

    async with runtime_for(config) as runtime:
        failures = [await world.call(runtime, "trap", caplog) for _ in range(threshold)]
        refused = await world.call(runtime, "trap", caplog)
        plugin = current(runtime).plugins[HOSTILE]
        stats, state = plugin.calls.stats(), plugin.state
        answered = await world.answers(runtime)

    assert all("trapped" in (failure.message or "") for failure in failures)
    assert refused.message is not None
    assert f"plugin {HOSTILE!r} is quarantined in {world.function}" in refused.message
    assert f"{threshold} failures in a row" in refused.message
    if refused.error is not None:
        assert isinstance(refused.error, PluginQuarantined)
    assert state == "quarantined"
    assert (stats.traps, stats.quarantined, stats.instances_created) == (threshold, 1, threshold)
    assert answered


# -- plugins that attack the host while it loads ----------------------------------------------


@dataclass(frozen=True)
class LoadCell:
    name: str
    world: str
    component: str
    error: type[PluginError]
    words: tuple[str, ...]
    capabilities: tuple[str, ...] = ()
    absent: tuple[str, ...] = field(default=())  # what the message must not name
    timeout_ms: int = LIMITS["timeout_ms"]


DESCRIBE = {"hooks": "handles", "tools": "tools", "providers": "info"}
HOST_INTERFACES = ("log", "kv", "config", "http", "memory")
WORKSPACE = "{workspace}"


def load_cells(world: str) -> list[LoadCell]:
    describe = DESCRIBE[world]
    return [
        LoadCell(
            "describe-loops-forever",
            world,
            f"{world}_describe_spin",
            DescribeError,
            (f"plugin {HOSTILE!r} timed out in {describe}", "time limit of 200 ms"),
        ),
        LoadCell(
            "describe-traps",
            world,
            f"{world}_describe_trap",
            DescribeError,
            (f"plugin {HOSTILE!r} trapped in {describe}", "unreachable"),
        ),
        LoadCell(
            "describe-millions-of-items",
            world,
            f"{world}_describe_lots",
            DescribeError,
            (f"plugin {HOSTILE!r} ",) + DESCRIBE_LOTS[world],
            timeout_ms=SLOW_CELL_TIMEOUT_MS,
        ),
        LoadCell(
            "imports-every-host-interface-ungranted",
            world,
            f"{world}_every_host_interface",
            ImportNotGrantedError,
            (
                f"plugin {HOSTILE!r} cannot be linked",
                "plugin.wasm",
                "plugins.capabilities.allow",
                *(f"imports zeroclaw:host/{name}@1.0.0, which needs" for name in HOST_INTERFACES),
            ),
        ),
        LoadCell(
            "reaches-for-files-env-sockets-clocks",
            world,
            f"{world}_wasi_reach",
            ImportNotGrantedError,
            (
                'imports wasi:filesystem/types@0.2.0, which needs an "fs.read:/DIR"',
                'imports wasi:cli/environment@0.2.0, which needs an "env:NAME"',
                "imports wasi:sockets/tcp@0.2.0: plugins get no sockets",
                "imports wasi:clocks/wall-clock@0.2.0, but WASI is linked only for plugins "
                "granted fs.read, fs.write or env",
                "plugins.capabilities.allow",
                "--stub-wasi",
            ),
        ),
        LoadCell(
            "sockets-refused-even-with-files-and-env-granted",
            world,
            f"{world}_wasi_reach",
            ImportNotGrantedError,
            ("imports wasi:sockets/tcp@0.2.0: plugins get no sockets",),
            capabilities=(f"fs.read:{WORKSPACE}", "env:ZEROCLAW_HOSTILE_TEST"),
            absent=("wasi:filesystem", "wasi:cli/environment", "wasi:clocks"),
        ),
    ]


DESCRIBE_LOTS = {
    "hooks": ("a list of 1000000 items",),
    "tools": ("too much data is being copied",),
    "providers": ("a list of 1000000 items",),
}
LOAD_CELLS = [cell for world in WORLDS for cell in load_cells(world)]


@pytest.mark.parametrize("cell", LOAD_CELLS, ids=lambda c: f"{c.world}-{c.name}")
async def test_a_hostile_plugin_fails_its_load_and_the_good_plugin_loads(
    cell: LoadCell, plugin_dirs: PluginDirs, config: Config
) -> None:
    world = WORLDS[cell.world]
    capabilities = tuple(
        c.replace(WORKSPACE, str(config.workspace.resolve())) for c in cell.capabilities
    )
    config.plugins.capabilities.allow += list(capabilities)
    plugin_dirs.add(
        HOSTILE,
        cell.component,
        world.name,
        capabilities=world.capabilities + capabilities,
        limits={**LIMITS, "timeout_ms": cell.timeout_ms},
    )
    add_good(plugin_dirs, world)

    async with runtime_for(config) as runtime:
        status = current(runtime).status(HOSTILE)
        loaded = list(current(runtime).plugins)
        answered = await world.answers(runtime)

    assert status is not None
    assert status.state == "failed"
    assert type(status.error) is cell.error
    message = str(status.error)
    assert str(Path("plugins") / HOSTILE) in message  # names the plugin's files
    for words in cell.words:
        assert words in message
    for words in cell.absent:
        assert words not in message
    assert loaded == [world.good]
    assert answered


# -- outbound HTTP: off the allowlist, internal addresses, redirects, drips, floods ----------


@dataclass(frozen=True)
class HttpCell:
    name: str
    grants: tuple[str, ...]
    url: str  # {server}: the local server's base URL
    case: str  # the http-error case the guest gets
    words: tuple[str, ...]
    reaches_server: int = 0  # requests the local server sees
    timeout_ms: int = 1000


HTTP_CELLS = [
    HttpCell(
        "off-the-allowlist",
        ("http:api.example.com",),
        "http://example.org/",
        "denied",
        ("plugin 'fetcher' may not reach example.org", '"http:example.org"'),
    ),
    # A name beside an address grant is refused before any lookup: a lookup would carry the
    # name to a DNS server the plugin may control.
    HttpCell(
        "off-the-allowlist-beside-an-address-grant",
        ("http:127.0.0.1",),
        "http://secret-in-a-name.example.org/",
        "denied",
        ("plugin 'fetcher' may not reach secret-in-a-name.example.org",),
    ),
    HttpCell(
        "redirect-off-the-allowlist",
        ("http:127.0.0.1",),
        "{server}/redirect?to=http://93.184.215.14/",
        "denied",
        ("plugin 'fetcher' may not reach 93.184.215.14",),
        reaches_server=1,
    ),
    HttpCell(
        "redirect-to-metadata-under-a-wildcard",
        ("http:*", "http:127.0.0.1"),
        "{server}/redirect?to=http://169.254.169.254/latest/meta-data/",
        "denied",
        ("169.254.169.254 is a loopback, private, link-local or metadata host", "'fetcher'"),
        reaches_server=1,
    ),
    HttpCell(
        "loopback-under-a-wildcard",
        ("http:*",),
        "{server}/ok",
        "denied",
        ("127.0.0.1 is a loopback", "a wildcard never reaches it", "'fetcher'"),
    ),
    HttpCell(
        "localhost-under-a-wildcard",
        ("http:*",),
        "{localhost}/ok",
        "denied",
        ("localhost is a loopback", "'fetcher'"),
    ),
    HttpCell(
        "private-under-a-wildcard",
        ("http:*",),
        "http://10.0.0.1/",
        "denied",
        ("10.0.0.1 is a loopback, private", "'fetcher'"),
    ),
    HttpCell(
        "metadata-under-a-wildcard",
        ("http:*",),
        "http://169.254.169.254/latest/meta-data/",
        "denied",
        ("169.254.169.254 is a loopback, private, link-local or metadata host", "'fetcher'"),
    ),
    HttpCell(
        "metadata-as-mapped-ipv6-under-a-wildcard",
        ("http:*",),
        "http://[::ffff:169.254.169.254]/",
        "denied",
        ("link-local or metadata", "'fetcher'"),
    ),
    HttpCell(
        "dripping-server",
        ("http:127.0.0.1",),
        "{server}/drip",  # the guest asks for 300 ms; the server drips for 10 s
        "timeout",
        ("/drip",),
        reaches_server=1,
    ),
    HttpCell(
        "oversized-response",
        ("http:127.0.0.1",),
        f"{{server}}/big?n={MAX_RESPONSE_BYTES + 1}",
        "response-too-large",
        (f"larger than the host's cap of {MAX_RESPONSE_BYTES} bytes",),
        reaches_server=1,
    ),
]
FETCHERS = {"hooks": "hook_fetch", "tools": "tool_fetch", "providers": "provider_fetch"}


async def fetch(runtime: AgentRuntime, world: str, url: str) -> str:
    """The fetcher's failure as the agent sees it (its success fails the test)."""
    if world == "hooks":
        # The hook fetches its session id and puts what it got into the context; the good
        # hook beside it still sets the system prompt.
        result = await runtime.live_hooks().run(
            Event.BEFORE_PROMPT_BUILD, prompt(url), explain=True
        )
        assert result.explanation is not None
        step = next(s for s in result.explanation.steps if s.handler == "fetcher")
        assert step.outcome == "continue", step.detail
        assert result.payload.system_prompt == PIRATE
        (block,) = result.payload.context
        return block
    if world == "tools":
        context = ToolContext("s1", runtime.config.workspace)
        result = await runtime.live_tools().execute("fetch", {"url": url}, context)
        assert not result.success, result.output[:200]
        assert result.error is not None
        return result.error
    provider = current(runtime).provider("fetcher")
    assert provider is not None
    with pytest.raises(ProviderError) as raised:
        await provider.chat(ChatRequest(MESSAGES, url))
    assert raised.value.provider == "plugin:fetcher"
    prefix = "provider 'plugin:fetcher': the call failed (failed): "
    assert raised.value.message.startswith(prefix)
    return raised.value.message.removeprefix(prefix)


def seen_requests(server: LocalServer, expected: int) -> int:
    """How many requests the server saw, once it has seen `expected` (or after 5 s): a
    request the guest gave up on (the drip's 300 ms) may reach the server's thread after the
    call has ended, when the machine is busy."""
    deadline = time.monotonic() + 5
    while len(server.seen) < expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return len(server.seen)


@pytest.mark.parametrize("world_name", list(FETCHERS))
@pytest.mark.parametrize("cell", HTTP_CELLS, ids=lambda c: c.name)
async def test_hostile_http_is_refused_or_cut_and_the_good_plugin_keeps_answering(
    cell: HttpCell,
    world_name: str,
    plugin_dirs: PluginDirs,
    config: Config,
    http_server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = WORLDS[world_name]
    config.plugins.capabilities.allow += list(cell.grants)
    plugin_dirs.add(
        "fetcher",
        FETCHERS[world_name],
        world_name,
        capabilities=world.capabilities + cell.grants,
        limits={"timeout_ms": cell.timeout_ms},
    )
    add_good(plugin_dirs, world)
    url = cell.url.format(
        server=http_server.url("").rstrip("/"),
        localhost=http_server.url("", host="localhost").rstrip("/"),
    )
    looked_up: list[str] = []
    lookup = socket.getaddrinfo

    def recorded(host: str, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recorded)

    async with runtime_for(config) as runtime:
        failure = await fetch(runtime, world_name, url)
        stats = current(runtime).plugins["fetcher"].calls.stats()
        answered = await world.answers(runtime)

    assert failure.startswith(f"{cell.case}: ")
    for words in cell.words:
        assert words in failure
    assert seen_requests(http_server, cell.reaches_server) == cell.reaches_server
    assert set(looked_up) <= {"127.0.0.1"}  # no name off the allowlist went to DNS
    # The refusal is a value the guest handled, not a failure of the plugin.
    assert (stats.ok, stats.failures) == (1, 0)
    assert answered
