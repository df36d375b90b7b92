"""The shared engine: settings, epoch deadlines, the ticker, and the on-disk compile cache."""

from __future__ import annotations

import hashlib
import os
import select
import signal
import threading
import time
from pathlib import Path

import pytest
import wasmtime
from wasmtime.component import Component, Linker
from wat_builder import WAT

from zeroclaw.plugins.errors import CompileError
from zeroclaw.plugins.wasm import native_ticker
from zeroclaw.plugins.wasm.compile_cache import MAGIC, SUM_SUFFIX
from zeroclaw.plugins.wasm.engine import EpochTicker, PluginEngine, create_engine, epoch_deadline
from zeroclaw.plugins.wasm.engine_settings import EngineSettings
from zeroclaw.plugins.wasm.native_ticker import NativeEpochTicker

ANSWER = WAT / "answer.component.wat"
SPIN = WAT / "spin.component.wat"
NATIVE_BUILT = native_ticker.load() is not None
NATIVE_MISSING = (
    f"the native epoch ticker is not in use: not built ({native_ticker.LIBRARY}: scripts/install "
    "needs cc), or ZEROCLAW_PYTHON_TICKER is set"
)


@pytest.fixture(params=["python", "native"])
def native(request: pytest.FixtureRequest) -> bool:
    """Each ticker test with the Python ticker and with the native one (skipped, saying
    why, where scripts/install did not build it)."""
    if request.param == "native" and not NATIVE_BUILT:
        pytest.skip(NATIVE_MISSING)
    return bool(request.param == "native")


def call_answer(engine: wasmtime.Engine, component: Component) -> int:
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1_000_000)
    instance = Linker(engine).instantiate(store, component)
    func = instance.get_func(store, "answer")
    assert func is not None
    result = func(store)
    assert isinstance(result, int)
    return result


def cache_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.cwasm"))


# -- settings and deadlines -----------------------------------------------------------------


def test_settings_key_the_engine_configuration() -> None:
    assert EngineSettings().cache_key() != EngineSettings(consume_fuel=True).cache_key()
    assert EngineSettings.for_fuel([None, None]) == EngineSettings()
    assert EngineSettings.for_fuel([None, 5_000]).consume_fuel


def test_fuel_engine_consumes_fuel() -> None:
    engine = create_engine(EngineSettings(consume_fuel=True))
    store = wasmtime.Store(engine)
    store.set_fuel(10)

    assert store.get_fuel() == 10


@pytest.mark.parametrize(
    ("timeout_ms", "tick_ms", "ticks"), [(100, 1, 101), (100, 5, 21), (1, 5, 2), (7, 5, 3)]
)
def test_epoch_deadline_rounds_up_and_adds_a_tick(
    timeout_ms: int, tick_ms: int, ticks: int
) -> None:
    assert epoch_deadline(timeout_ms, tick_ms) == ticks


def test_epoch_deadline_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        epoch_deadline(0)


def test_ticker_interrupts_a_looping_guest_and_stops(native: bool) -> None:
    plugin_engine = PluginEngine(tick_ms=1, native_ticker=native)
    component = plugin_engine.load_component(SPIN).component
    store = wasmtime.Store(plugin_engine.engine)
    store.set_epoch_deadline(plugin_engine.deadline(10_000))
    instance = Linker(plugin_engine.engine).instantiate(store, component)
    spin = instance.get_func(store, "spin")
    assert spin is not None

    with plugin_engine:
        plugin_engine.set_deadline(store, plugin_engine.deadline(20))
        with pytest.raises(wasmtime.WasmtimeError, match="interrupt"):
            spin(store)

    assert not plugin_engine.ticker.running
    assert plugin_engine.ticker.ticks >= 20


def test_ticker_can_restart(native: bool) -> None:
    ticker = PluginEngine(tick_ms=1, native_ticker=native).ticker
    with ticker:
        assert ticker.running
    assert not ticker.running
    ticker.start()
    assert ticker.running
    ticker.stop()
    assert not ticker.running


def parked_after(plugin_engine: PluginEngine, ticks: int, seconds: float = 5.0) -> None:
    """Wait (up to `seconds`) for the ticker to have counted `ticks` (the deadline just held)
    and parked; fail if it does not. (Right after a `hold` it may still read as parked: the
    thread has not woken yet.)"""
    stop = time.monotonic() + seconds
    ticker = plugin_engine.ticker
    while ticker.ticks < ticks or not ticker.parked:
        if time.monotonic() > stop:
            pytest.fail(f"the ticker did not tick {ticks} and park within {seconds} s")
        time.sleep(0.005)


def test_an_idle_ticker_parks_once_every_deadline_is_passed(native: bool) -> None:
    """No call pending, no ticks: a process with plugins loaded and idle spends no CPU on
    them (it used to tick a thousand times a second)."""
    with PluginEngine(tick_ms=1, native_ticker=native) as plugin_engine:
        store = wasmtime.Store(plugin_engine.engine)
        plugin_engine.set_deadline(store, plugin_engine.deadline(10))
        parked_after(plugin_engine, plugin_engine.deadline(10))
        ticks = plugin_engine.ticker.ticks
        time.sleep(0.05)

        assert plugin_engine.ticker.parked
        assert plugin_engine.ticker.ticks == ticks
        assert ticks >= plugin_engine.deadline(10)  # it ticked the deadline through
        assert plugin_engine.ticker.behind() == 0  # owes nothing while parked


def test_a_parked_ticker_wakes_to_stop_a_looping_guest(native: bool) -> None:
    with PluginEngine(tick_ms=1, native_ticker=native) as plugin_engine:
        component = plugin_engine.load_component(SPIN).component
        store = wasmtime.Store(plugin_engine.engine)
        plugin_engine.set_deadline(store, plugin_engine.deadline(1))
        instance = Linker(plugin_engine.engine).instantiate(store, component)
        spin = instance.get_func(store, "spin")
        assert spin is not None
        parked_after(plugin_engine, plugin_engine.deadline(1))
        time.sleep(0.05)  # long parked: a catch-up from the old origin would be 50 ticks
        ticks = plugin_engine.ticker.ticks

        plugin_engine.set_deadline(store, plugin_engine.deadline(20))
        with pytest.raises(wasmtime.WasmtimeError, match="interrupt"):
            spin(store)

        # Counted from the wake-up, not from the parking: the full 20 ms were ticked.
        assert plugin_engine.ticker.ticks - ticks >= 20


def test_the_native_ticker_goes_on_from_its_count_after_a_restart() -> None:
    if not NATIVE_BUILT:
        pytest.skip(NATIVE_MISSING)
    plugin_engine = PluginEngine(tick_ms=1, native_ticker=True)
    assert isinstance(plugin_engine.ticker, NativeEpochTicker)
    assert plugin_engine.gil_free
    with plugin_engine:
        plugin_engine.ticker.hold(20)
        parked_after(plugin_engine, 20)
    first = plugin_engine.ticker.ticks
    assert first >= 20
    assert plugin_engine.ticker.ticks == first  # stopped: the count stays

    with plugin_engine:
        plugin_engine.ticker.hold(10)
        parked_after(plugin_engine, first + 10)
        assert plugin_engine.ticker.ticks >= first + 10


def test_asking_for_a_native_ticker_that_is_not_built_says_how_to_build_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(native_ticker, "load", lambda: None)
    with pytest.raises(RuntimeError, match="run scripts/install"):
        PluginEngine(native_ticker=True)
    assert not PluginEngine().gil_free  # the Python ticker, then


def test_deadlines_held_from_many_threads_at_once_are_all_kept() -> None:
    """`hold` takes no lock: the ticking thread takes every held count in and keeps the
    largest, whatever the threads' interleaving."""
    ticker = EpochTicker(create_engine(EngineSettings()), tick_ms=1)
    start = threading.Barrier(8)

    def hold_many(offset: int) -> None:
        start.wait()
        for index in range(2000):
            ticker.hold((index * 7919 + offset) % 100_000)

    threads = [threading.Thread(target=hold_many, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    largest = max((i * 7919 + n) % 100_000 for n in range(8) for i in range(2000))
    assert ticker._take_held() == largest + 1
    assert not ticker._held


def test_only_the_engine_sets_epoch_deadlines() -> None:
    """A deadline set on a store any other way is not held: a parked ticker would never
    stop that call. `PluginEngine.set_deadline` is the one place that arms."""
    source = Path(__file__).parents[3] / "src" / "zeroclaw"
    setters = sorted(
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if "set_epoch_deadline(" in path.read_text(encoding="utf-8")
    )
    assert setters == ["plugins/wasm/engine.py"]


def stalled(plugin_engine: PluginEngine) -> PluginEngine:
    """`plugin_engine` with a ticker the ticking thread never gets to tick: one starved of
    the GIL or of the CPU."""
    ticker = plugin_engine.ticker
    ticker._catch_up = lambda now: None  # type: ignore[method-assign]
    return plugin_engine


def test_every_ticker_of_the_process_is_ticked_by_one_thread() -> None:
    engines = [PluginEngine(tick_ms=1, native_ticker=False) for _ in range(3)]
    with engines[0], engines[1], engines[2]:
        for engine in engines:
            engine.ticker.hold(1000)  # a deadline pending: else an idle ticker parks
        time.sleep(0.05)
        tickers = [t for t in threading.enumerate() if t.name == "zeroclaw-epoch-ticker"]
        counts = [engine.ticker.ticks for engine in engines]

    assert len(tickers) == 1
    assert all(count >= 20 for count in counts), counts
    assert not any(engine.ticker.running for engine in engines)


def catch_up(plugin_engine: PluginEngine) -> None:
    """What the ticker does once it runs again: every tick it owes, at once."""
    for _ in range(plugin_engine.ticker.behind()):
        plugin_engine.engine.increment_epoch()


def test_a_late_ticker_says_how_many_ticks_it_owes() -> None:
    with stalled(PluginEngine(tick_ms=1, native_ticker=False)) as plugin_engine:
        plugin_engine.ticker.hold(1000)
        time.sleep(0.03)
        assert 25 <= plugin_engine.ticker.behind() <= 1000
    assert plugin_engine.ticker.behind() == 0  # stopped: owes nothing


@pytest.mark.parametrize("from_the_clock", [True, False])
def test_a_catch_up_does_not_stop_a_call_armed_while_the_ticker_was_late(
    from_the_clock: bool,
) -> None:
    with stalled(PluginEngine(tick_ms=1, native_ticker=False)) as plugin_engine:
        plugin_engine.ticker.hold(1000)  # an earlier call's deadline keeps it from parking
        component = plugin_engine.load_component(ANSWER).component
        store = wasmtime.Store(plugin_engine.engine)
        store.set_epoch_deadline(1_000_000)
        instance = Linker(plugin_engine.engine).instantiate(store, component)
        answer = instance.get_func(store, "answer")
        assert answer is not None
        time.sleep(0.03)  # the ticker falls 30 ticks behind
        ticks = plugin_engine.deadline(20)
        store.set_epoch_deadline(plugin_engine.deadline_now(ticks) if from_the_clock else ticks)
        catch_up(plugin_engine)  # within the call's first microseconds

        if from_the_clock:
            assert answer(store) == 42
        else:  # what arming from the epoch count did: stopped at once
            with pytest.raises(wasmtime.WasmtimeError, match="interrupt"):
                answer(store)


# -- compile cache --------------------------------------------------------------------------


def test_second_load_is_a_cache_hit(tmp_path: Path, components: dict[str, Path]) -> None:
    cache_dir = tmp_path / "plugin-cache"
    first = PluginEngine(cache_dir=cache_dir).load_component(components["hook_minimal"])
    assert not first.hit
    assert len(cache_files(cache_dir)) == 1

    # A new engine with the same settings: what a restarted host does.
    second_engine = PluginEngine(cache_dir=cache_dir)
    second = second_engine.load_component(components["hook_minimal"])

    assert second.hit
    assert second.key == first.key
    assert len(cache_files(cache_dir)) == 1
    assert second_engine.cache is not None
    assert (second_engine.cache.stats.hits, second_engine.cache.stats.misses) == (1, 0)
    assert "zeroclaw:hooks/handler@1.0.0" in second.component.type.exports(second_engine.engine)


def test_one_compiled_component_is_shared_by_every_load_of_the_same_bytes(
    tmp_path: Path, components: dict[str, Path]
) -> None:
    plugin_engine = PluginEngine(cache_dir=tmp_path / "cache")
    copy = tmp_path / "copy.wasm"
    copy.write_bytes(components["hook_minimal"].read_bytes())

    first = plugin_engine.load_component(components["hook_minimal"])
    second = plugin_engine.load_component(copy)  # another plugin, the same bytes

    assert second.hit
    assert second.component is first.component
    assert checksum_file(cache_files(tmp_path / "cache")[0]).is_file()


def test_text_format_components_load_through_the_cache(tmp_path: Path) -> None:
    plugin_engine = PluginEngine(cache_dir=tmp_path / "cache")

    cold = plugin_engine.load_component(ANSWER)
    warm = plugin_engine.load_component(ANSWER)

    assert (cold.hit, warm.hit) == (False, True)
    assert call_answer(plugin_engine.engine, warm.component) == 42


def test_engine_without_cache_compiles(tmp_path: Path) -> None:
    plugin_engine = PluginEngine()

    loaded = plugin_engine.load_component(ANSWER)

    assert not loaded.hit
    assert call_answer(plugin_engine.engine, loaded.component) == 42


def corrupt_truncate(entry: Path) -> None:
    entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])


def corrupt_garble(entry: Path) -> None:
    data = bytearray(entry.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    entry.write_bytes(bytes(data))


def corrupt_magic(entry: Path) -> None:
    entry.write_bytes(b"not a cache entry")


def checksum_file(entry: Path) -> Path:
    return entry.with_name(entry.name + SUM_SUFFIX)


def corrupt_payload_with_valid_checksum(entry: Path) -> None:
    """Bytes that pass our checksum but that wasmtime itself refuses."""
    payload = b"\x7fELF garbage that is no serialized component"
    entry.write_bytes(payload)
    checksum_file(entry).write_bytes(MAGIC + hashlib.sha256(payload).digest())


def corrupt_checksum_format(entry: Path) -> None:
    checksum_file(entry).write_bytes(b"not a checksum")


def lose_checksum(entry: Path) -> None:
    checksum_file(entry).unlink()


@pytest.mark.parametrize(
    "corrupt",
    [
        corrupt_truncate,
        corrupt_garble,
        corrupt_magic,
        corrupt_payload_with_valid_checksum,
        corrupt_checksum_format,
        lose_checksum,
    ],
)
def test_a_corrupt_entry_is_rebuilt(
    tmp_path: Path, components: dict[str, Path], corrupt: object, caplog: pytest.LogCaptureFixture
) -> None:
    cache_dir = tmp_path / "cache"
    source = components["tool_echo"]
    PluginEngine(cache_dir=cache_dir).load_component(source)
    (entry,) = cache_files(cache_dir)
    assert callable(corrupt)
    corrupt(entry)

    plugin_engine = PluginEngine(cache_dir=cache_dir)
    rebuilt = plugin_engine.load_component(source)

    assert not rebuilt.hit
    assert plugin_engine.cache is not None
    assert plugin_engine.cache.stats.rebuilt == 1
    assert "rebuilding it" in caplog.text
    assert cache_files(cache_dir) == [entry]
    assert PluginEngine(cache_dir=cache_dir).load_component(source).hit


def test_the_key_changes_with_engine_settings_and_source(
    tmp_path: Path, components: dict[str, Path]
) -> None:
    cache_dir = tmp_path / "cache"
    plain = PluginEngine(EngineSettings(), cache_dir=cache_dir)
    fuel = PluginEngine(EngineSettings(consume_fuel=True), cache_dir=cache_dir)
    source = components["hook_minimal"].read_bytes()
    assert plain.cache is not None
    assert fuel.cache is not None

    assert plain.cache.key(source) != fuel.cache.key(source)
    assert plain.cache.key(source) != plain.cache.key(source + b"\0")

    plain.load_component(components["hook_minimal"])
    loaded = fuel.load_component(components["hook_minimal"])

    assert not loaded.hit
    assert len(cache_files(cache_dir)) == 2


def test_an_unwritable_cache_costs_speed_not_correctness(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    plugin_engine = PluginEngine(cache_dir=blocker / "cache")

    loaded = plugin_engine.load_component(ANSWER)

    assert call_answer(plugin_engine.engine, loaded.component) == 42
    assert plugin_engine.cache is not None
    assert plugin_engine.cache.stats.write_failures == 1


def test_prune_keeps_only_named_keys(tmp_path: Path, components: dict[str, Path]) -> None:
    plugin_engine = PluginEngine(cache_dir=tmp_path / "cache")
    kept = plugin_engine.load_component(components["hook_minimal"]).key
    plugin_engine.load_component(components["tool_echo"])
    cache = plugin_engine.cache
    assert cache is not None
    assert kept is not None

    assert cache.prune({kept}) == 1
    assert [p.stem for p in cache_files(tmp_path / "cache")] == [kept]


@pytest.mark.parametrize("text", ["(module)", "not wasm at all", "\0asm\x01\0\0\0garbage"])
def test_invalid_components_are_compile_errors(tmp_path: Path, text: str) -> None:
    source = tmp_path / "bad.wasm"
    source.write_bytes(text.encode())

    with pytest.raises(CompileError, match=r"bad\.wasm is not a valid WebAssembly component"):
        PluginEngine(cache_dir=tmp_path / "cache").load_component(source)
    assert cache_files(tmp_path / "cache") == []


def test_cache_directory_is_private(tmp_path: Path) -> None:
    plugin_engine = PluginEngine(cache_dir=tmp_path / "cache")
    plugin_engine.load_component(ANSWER)

    assert (tmp_path / "cache").stat().st_mode & 0o077 == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_ticks_again_once_its_engine_starts(native: bool) -> None:
    """The ticking thread stays in the parent: a child's engine is not running until it
    starts again, and then ticks (else its guests could never be stopped)."""
    with PluginEngine(tick_ms=1, native_ticker=native) as plugin_engine:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            stopped = not plugin_engine.ticker.running
            plugin_engine.start()
            plugin_engine.ticker.hold(1000)
            before = plugin_engine.ticker.ticks
            time.sleep(0.05)
            ticked = plugin_engine.ticker.ticks - before >= 20
            os.write(write, b"%d%d" % (stopped, ticked))
            os._exit(0)
        assert child_answer(pid, read, write, 2) == b"11"
        assert plugin_engine.ticker.running


def child_answer(pid: int, read: int, write: int, size: int) -> bytes:
    """What a forked child wrote to the pipe; a child that hangs fails the test (and is
    killed) instead of hanging the run."""
    os.close(write)
    try:
        if not select.select([read], [], [], 30)[0]:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the forked child did not answer within 30 s (it hung)")
        return os.read(read, size)
    finally:
        os.waitpid(pid, 0)
        os.close(read)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_the_ticking_thread_holds_its_lock_can_start_an_engine() -> None:
    """The ticking thread takes its lock every tick; a fork at that moment copied the lock
    held into the child, whose first `start` then waited forever (seen: a test run hung).
    Forced here by a thread holding the lock across the fork."""
    from zeroclaw.plugins.wasm import engine as engine_module

    lock = engine_module._TICK_THREAD._lock  # the Python ticker's
    held, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:  # as the ticking thread does, in another thread
        with lock:
            held.set()
            release.wait(30)

    with PluginEngine(tick_ms=1, native_ticker=False) as plugin_engine:
        read, write = os.pipe()
        holder = threading.Thread(target=hold_the_lock)
        holder.start()
        held.wait(30)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            plugin_engine.start()
            plugin_engine.ticker.hold(1000)
            time.sleep(0.05)
            os.write(write, b"1" if plugin_engine.ticker.ticks > 0 else b"0")
            os._exit(0)
        release.set()
        holder.join()
        assert child_answer(pid, read, write, 1) == b"1"
