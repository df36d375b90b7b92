"""The console in a real browser (Debian's chromium under Playwright) against a real
gateway process: log in, see the plugins, approve a new grant and reload to a new
generation, watch a reload made elsewhere arrive live (SSE), explain a dispatch, read a
session's tool call; a hostile plugin description is shown as text and runs nothing; a
forged form is refused. Screenshots for docs/console.md are taken on the way."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_support import AUTH, HOSTILE, TOKEN, write_manifest

from gateway_processes import gateway_processes
from zeroclaw.plugins.authoring.build import build_plugin

expect = pytest.importorskip("playwright.sync_api").expect

Screenshot = Callable[[object, str], None]
WAT_FIXTURES = Path(__file__).resolve().parents[1] / "plugins" / "fixtures" / "wat"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 640})
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.dialogs = dialogs
    page.console_errors = errors
    yield page
    context.close()


def log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/ui")
    assert page.url.endswith("/ui/login")
    page.fill("#secret", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/ui")
    # the live stream is connected
    page.wait_for_selector("#live-state.on")


def test_log_in_approve_a_new_grant_reload_and_explain(
    page: Any, gateway: str, plugins_dir: Path, screenshot: Screenshot
) -> None:
    log_in(page, gateway)
    rows = page.locator("tr.plugin")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.plugin)")) == [
        "compaction-floor",
        "grower",
    ]
    assert page.locator("tr[data-plugin=compaction-floor] .state").inner_text() == "loaded"
    first = int(page.inner_text("#generation"))
    screenshot(page, "plugins")

    page.click("a[href='/ui/plugins/compaction-floor']")
    assert "hooks.modify" in page.inner_text("#granted")
    assert "before_compaction" in page.inner_text("dl.facts")
    screenshot(page, "plugin")

    approve_a_new_grant_and_reload(page, gateway, plugins_dir, screenshot, first)

    # a reload made elsewhere (the API) reaches the open page by itself
    page.click("a[href='/ui']")
    reloaded = httpx.post(f"{gateway}/api/plugins/reload", headers=AUTH).json()
    # (expect polls from outside the page: the CSP forbids wait_for_function's eval)
    expect(page.locator("#generation")).to_have_text(str(reloaded["generation"]))
    expect(page.locator("#serving-generation")).to_have_text(str(reloaded["generation"]))

    # explain: compaction-floor vetoes compacting 3 messages
    page.click("a[href='/ui/hooks']")
    page.select_option("#event", "before_compaction")
    page.fill("#payload", '{"session_id": "s-1", "messages": 3, "estimated_tokens": 100}')
    page.click("#explain")
    page.wait_for_selector("#explanation")
    step = page.locator("li.step").filter(has_text="compaction-floor")
    assert "cancel" in step.locator(".outcome").inner_text()
    screenshot(page, "hooks")

    page.click("#logout")
    page.wait_for_url(f"{gateway}/ui/login")
    page.goto(f"{gateway}/ui/approvals")
    assert page.url.endswith("/ui/login")
    assert page.dialogs == []


def approve_a_new_grant_and_reload(
    page: Any, gateway: str, plugins_dir: Path, screenshot: Screenshot, first: int
) -> None:
    # grower asks for one more capability: the reload waits for an approval
    write_manifest(plugins_dir / "grower", capabilities=["hooks.modify", "kv"])
    page.click("a[href='/ui/reloads']")
    page.click("#reload")
    page.wait_for_url(f"{gateway}/ui/reloads")
    assert "rolled back" in page.inner_text("#notice")
    assert "new capabilities await approval" in page.inner_text("tr.reload.rolled-back")
    assert int(page.inner_text("#generation")) == first

    page.click("a[href='/ui/approvals']")
    pending = page.locator("tr.pending[data-plugin=grower]")
    assert "+ kv" in pending.inner_text()
    screenshot(page, "approvals")
    pending.locator("button.approve").click()
    page.wait_for_url(f"{gateway}/ui/approvals")
    assert "approved grower" in page.inner_text("#notice")
    assert "approved: reload to serve it" in page.inner_text("tr.pending[data-plugin=grower]")

    page.click("#reload")
    page.wait_for_url(f"{gateway}/ui/reloads")
    assert "reloaded: generation" in page.inner_text("#notice")
    # a refused candidate used up a number: the new generation is higher, not next
    assert int(page.inner_text("#generation")) > first
    assert "grower: grants +kv" in page.inner_text("tr.reload.swapped")
    screenshot(page, "reloads")
    status = httpx.get(f"{gateway}/api/plugins/status", headers=AUTH).json()
    grower = next(p for p in status["plugins"] if p["name"] == "grower")
    assert grower["grants"] == ["hooks.modify", "kv"]


def test_refuse_is_remembered_across_reloads(page: Any, gateway: str, plugins_dir: Path) -> None:
    """Refuse a pending grant change: the next reloads keep the serving version and ask
    nobody; the Approvals page shows who refused it and when."""
    log_in(page, gateway)
    write_manifest(plugins_dir / "grower", capabilities=["hooks.modify", "kv"])
    page.click("a[href='/ui/approvals']")
    page.click("#reload")
    page.click("a[href='/ui/approvals']")
    page.locator("tr.pending[data-plugin=grower] button.refuse").click()
    page.wait_for_url(f"{gateway}/ui/approvals")
    assert "refused grower 0.1.0: grants hooks.modify, kv" in page.inner_text("#notice")
    assert page.locator("tr.pending[data-plugin=grower]").count() == 0
    assert page.locator("tr.refused[data-plugin=grower] td.by").inner_text().startswith("console:")

    for _ in range(2):
        page.click("#reload")
        page.wait_for_url(f"{gateway}/ui/reloads")
        assert "refused capabilities: grower" in page.inner_text("#notice")
    page.click("a[href='/ui/approvals']")
    assert page.locator("tr.pending[data-plugin=grower]").count() == 0
    assert "No grant change awaits approval" in page.inner_text("table.approvals")
    assert page.locator("tr.refused[data-plugin=grower]").count() == 1
    status = httpx.get(f"{gateway}/api/plugins/status", headers=AUTH).json()
    grower = next(p for p in status["plugins"] if p["name"] == "grower")
    assert grower["grants"] == ["hooks.modify"]
    assert [r["plugin"] for r in status["refused"]] == ["grower"]


def test_a_session_shows_its_tool_call_with_owner_and_approval(
    page: Any, gateway: str, screenshot: Screenshot
) -> None:
    log_in(page, gateway)
    page.click("a[href='/ui/sessions']")
    turn = httpx.post(
        f"{gateway}/webhook",
        headers=AUTH,
        json={"message": '/tool file_list {"path": "."}', "session_id": "console-demo"},
        timeout=30,
    )
    assert turn.status_code == 200
    # the new session arrives on the open Sessions page by itself (the turns event)
    page.wait_for_selector("a[href='/ui/sessions/console-demo']")
    page.click("a[href='/ui/sessions/console-demo']")
    call = page.locator(".tool-call").first
    text = call.inner_text()
    assert "file_list" in text
    assert "owner native" in text
    assert "approval" in text
    screenshot(page, "session")


def wat_plugin(into: Path, name: str, fixture: str, package: str, capabilities: list[str]) -> None:
    """A plugin built (`plugins build`) from one of the WAT fixtures of tests/plugins."""
    directory = into / name
    directory.mkdir()
    shutil.copy(WAT_FIXTURES / f"{fixture}.wat", directory / "plugin.wat")
    (directory / "plugin.toml").write_text(
        f'name = "{name}"\nversion = "2.1.0"\nwit_package = "{package}"\n'
        f'component = "plugin.wasm"\ncapabilities = {json.dumps(capabilities)}\n'
    )
    build_plugin(directory)


def test_a_tool_calls_provenance_is_read_from_memory_after_a_restart(
    page: Any, plugins_dir: Path, config_file: Path
) -> None:
    """A plugin tool's call, blocked by a plugin hook: after the gateway restarts (nothing
    of the first process left) the session still names the plugin and its version, the
    approval, the hook that blocked it and why."""
    wat_plugin(plugins_dir, "echoer", "tool_echo", "zeroclaw:tools@1.0.0", [])
    guard = ["hooks.conversation", "hooks.modify"]
    wat_plugin(plugins_dir, "guard", "hook_guard", "zeroclaw:hooks@1.0.0", guard)
    with gateway_processes() as start:
        first, base = start(config_file)
        turn = httpx.post(
            f"{base}/webhook",
            headers=AUTH,
            json={"message": '/tool echo {"word": "hi"}', "session_id": "kept"},
            timeout=30,
        )
        assert turn.status_code == 200
        first.terminate()
        first.wait(timeout=30)

        _, base = start(config_file)
        log_in(page, base)
        page.goto(f"{base}/ui/sessions/kept")
        call = page.locator(".tool-call").first
        facts = call.locator(".provenance").inner_text()
        assert "owner plugin:echoer@2.1.0" in facts
        assert "approval not_needed" in facts
        assert "blocked by hook:guard" in facts
        step = call.locator("li.hook-step[data-handler=guard]")
        assert "before_tool_call" in step.inner_text()
        assert "blocked: blocked by wasm guard" in step.inner_text()
        assert "(now)" not in call.inner_text()
        # the API reads the same rows
        history = httpx.get(f"{base}/api/sessions/kept", headers=AUTH).json()
        (asked,) = [c for m in history["messages"] for c in m["tool_calls"]]
        provenance = asked["provenance"]
        assert (provenance["owner_kind"], provenance["owner_name"]) == ("plugin", "echoer")
        assert (provenance["owner_version"], provenance["blocked_by"]) == ("2.1.0", "hook:guard")
        assert provenance["hooks"][0] == {
            "event": "before_tool_call",
            "handler": "guard",
            "source": "plugin:guard",
            "verdict": "blocked",
            "detail": "blocked by wasm guard",
            "fields": [],
        }


def test_hostile_plugin_strings_are_shown_as_text_and_run_nothing(
    page: Any, plugins_dir: Path, config_file: Path
) -> None:
    """A description and a load error the plugin controls (its manifest names a component
    file called like the markup), each shown as those characters; no <img>, no dialog."""
    write_manifest(plugins_dir / "grower", description=HOSTILE)
    evil = plugins_dir / "evil"
    evil.mkdir()
    (evil / "plugin.toml").write_text(
        'name = "evil"\nversion = "0.1.0"\nwit_package = "zeroclaw:hooks@1.0.0"\n'
        f'component = "{HOSTILE}.wasm"\n'
    )
    with gateway_processes() as start:
        _, base = start(config_file)
        log_in(page, base)
        cell = page.locator("tr[data-plugin=grower] td.description")
        assert cell.inner_text() == HOSTILE
        assert cell.locator("img").count() == 0
        failed = page.locator("tr[data-plugin=evil]")
        assert failed.locator(".state").inner_text() == "failed"
        assert f"'{HOSTILE}.wasm' does not exist" in failed.locator("td.error").inner_text()
        page.click("a[href='/ui/plugins/grower']")
        assert page.locator("p.description").inner_text() == HOSTILE
        page.goto(f"{base}/ui/plugins/evil")
        assert f"'{HOSTILE}.wasm' does not exist" in page.inner_text("main")
        assert page.locator("main img").count() == 0
        page.wait_for_timeout(300)  # time for an onerror to fire, were there an <img>
    assert page.dialogs == []


def test_a_forged_form_from_the_page_context_is_refused(page: Any, gateway: str) -> None:
    """A script running in the console's origin without the token (what a CSRF page
    would send, cookie included) gets 403, and nothing reloads."""
    log_in(page, gateway)
    before = int(page.inner_text("#generation"))
    status = page.evaluate(
        "fetch('/ui/reloads', {method: 'POST', credentials: 'include'}).then(r => r.status)"
    )
    assert status == 403
    after = httpx.get(f"{gateway}/api/plugins/status", headers=AUTH).json()["generation"]
    assert after == before


def test_the_csp_blocks_an_inline_script(page: Any, gateway: str) -> None:
    """The header is enforced by the browser: a script injected into the page as markup
    does not run."""
    log_in(page, gateway)
    response = page.goto(f"{gateway}/ui")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.pwned = 1\">')"
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned === undefined")
    assert any("Content Security Policy" in e for e in page.console_errors)
