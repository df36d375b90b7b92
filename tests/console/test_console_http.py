"""The console over plain HTTP against a real gateway process: logging in with a token
or the pairing code gives an HttpOnly, SameSite=Strict cookie; every page wants it;
state-changing requests without the CSRF token are refused; every response carries the
strict CSP; a plugin's hostile description reaches the page escaped; the console can be
turned off."""

from __future__ import annotations

import asyncio
import re
from contextlib import closing
from pathlib import Path

import httpx
from console_support import AUTH, HOSTILE, TOKEN, write_manifest

from gateway_processes import gateway_processes, wait_for_line
from zeroclaw.config import load_config
from zeroclaw.memory import MemoryStore
from zeroclaw.memory.records import TurnWrites
from zeroclaw.messages import ChatMessage
from zeroclaw.plugins.contract.permissions import ApprovalStore

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def logged_in(base: str, secret: str = TOKEN) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30)
    response = client.post("/ui/login", data={"secret": secret})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/ui"
    page = client.get("/ui")
    assert page.status_code == 200
    found = CSRF.search(page.text)
    assert found is not None
    return client, found[1]


def test_pages_want_a_login_and_a_token_gives_a_strict_http_only_cookie(gateway: str) -> None:
    with httpx.Client(base_url=gateway) as anonymous:
        for path in ("/ui", "/ui/reloads", "/ui/approvals", "/ui/sessions", "/ui/hooks"):
            response = anonymous.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/ui/login"
        assert anonymous.get("/ui/events").status_code == 401
        assert anonymous.post("/ui/reloads").status_code == 401
        refused = anonymous.post("/ui/login", data={"secret": "zc_wrong"})
        assert refused.status_code == 401
        assert "neither a gateway token nor the pairing code" in refused.text
        assert "zeroclaw_console" not in refused.headers.get("set-cookie", "")

        response = anonymous.post("/ui/login", data={"secret": TOKEN})

    cookie = response.headers["set-cookie"]
    assert cookie.startswith("zeroclaw_console=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/ui" in cookie
    assert TOKEN not in cookie


def test_the_pairing_code_logs_in_once(tmp_path: Path, config_file: Path) -> None:
    text = config_file.read_text().replace("[gateway]\n", "[gateway]\npairing = true\n")
    config_file.write_text(text)
    with gateway_processes() as start:
        process, base = start(config_file)
        code = wait_for_line(process, r"\b([2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4})\b")[1]
        client, _ = logged_in(base, code.lower())
        assert "Plugins" in client.get("/ui").text
        again = httpx.post(f"{base}/ui/login", data={"secret": code})
        assert again.status_code == 401


def test_state_changing_requests_without_the_csrf_token_are_refused(gateway: str) -> None:
    client, csrf = logged_in(gateway)
    with closing(client):
        generation = httpx.get(f"{gateway}/api/plugins/status", headers=AUTH).json()["generation"]
        for path in ("/ui/reloads", "/ui/approvals/grower/approve", "/ui/logout"):
            assert client.post(path).status_code == 403, path
            assert client.post(path, data={"csrf_token": "forged"}).status_code == 403, path
        refused = client.post("/ui/hooks/explain", data={"event": "before_compaction"})
        assert refused.status_code == 403
        assert "CSRF token is missing or wrong" in refused.text
        status = httpx.get(f"{gateway}/api/plugins/status", headers=AUTH).json()
        assert status["generation"] == generation  # nothing reloaded

        # with it (a form field or the header), they act
        done = client.post("/ui/reloads", data={"csrf_token": csrf})
        assert done.status_code == 303
        after = httpx.get(f"{gateway}/api/plugins/status", headers=AUTH).json()
        assert after["generation"] > generation
        assert after["last_reload"]["trigger"] == "console"
        page = client.get("/ui/reloads").text
        assert f'title="{after["snapshot_hash"]}"' in page  # the hash replicas compare
        assert client.post("/ui/logout", headers={"X-CSRF-Token": csrf}).status_code == 303
        # logged out: the old cookie opens nothing
        assert client.get("/ui").status_code == 303


def test_a_login_posted_from_another_origin_is_refused(gateway: str) -> None:
    response = httpx.post(
        f"{gateway}/ui/login",
        data={"secret": TOKEN},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_every_console_response_has_the_strict_csp(gateway: str) -> None:
    client, _ = logged_in(gateway)
    with closing(client):
        for path in ("/ui/login", "/ui", "/ui/hooks", "/ui/static/htmx.min.js"):
            response = client.get(path)
            assert response.status_code == 200, path
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp
            assert "style-src 'self'" in csp
            assert "unsafe-inline" not in csp
            assert "unsafe-eval" not in csp
            assert "frame-ancestors 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
        page = client.get("/ui").text
    # no inline script or style in what the pages send
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert "style=" not in page
    assert "<style" not in page
    # the API is untouched by the console's headers
    assert "content-security-policy" not in httpx.get(f"{gateway}/health").headers


def test_a_hostile_plugin_description_is_sent_escaped(plugins_dir: Path, config_file: Path) -> None:
    write_manifest(plugins_dir / "grower", description=HOSTILE)
    with gateway_processes() as start:
        _, base = start(config_file)
        client, _ = logged_in(base)
        with closing(client):
            page = client.get("/ui").text
            detail = client.get("/ui/plugins/grower").text
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail


def test_the_hooks_page_explains_a_payload_and_a_bad_payload_is_one_clear_line(
    gateway: str,
) -> None:
    client, csrf = logged_in(gateway)
    with closing(client):
        bad = client.post(
            "/ui/hooks/explain",
            data={"csrf_token": csrf, "event": "before_compaction", "payload": "{nope"},
        )
        void = client.post(
            "/ui/hooks/explain",
            data={"csrf_token": csrf, "event": "on_message_sent", "payload": "{}"},
        )
        good = client.post(
            "/ui/hooks/explain",
            data={
                "csrf_token": csrf,
                "event": "before_compaction",
                "payload": '{"session_id": "s-1", "messages": 3, "estimated_tokens": 100}',
            },
        )
    assert bad.status_code == 400
    assert "the payload is not valid JSON" in bad.text
    assert "Traceback" not in bad.text
    assert void.status_code == 400
    assert "is a void event" in void.text
    assert good.status_code == 200
    assert 'class="step outcome-cancel"' in good.text
    assert "compaction-floor" in good.text


def test_with_the_console_off_ui_is_404(config_file: Path) -> None:
    config_file.write_text(
        config_file.read_text().replace(
            "[gateway.console]\n", "[gateway.console]\nenabled = false\n"
        )
    )
    with gateway_processes() as start:
        _, base = start(config_file)
        assert httpx.get(f"{base}/ui").status_code == 404
        assert httpx.get(f"{base}/ui/static/htmx.min.js").status_code == 404


def test_refuse_is_written_where_the_cli_reads_it_and_approve_overrides_it(
    gateway: str, plugins_dir: Path, tmp_path: Path
) -> None:
    write_manifest(plugins_dir / "grower", capabilities=["hooks.modify", "kv"])
    store = ApprovalStore.for_data_dir(tmp_path / "data")
    client, csrf = logged_in(gateway)
    with closing(client):
        waiting = httpx.post(f"{gateway}/api/plugins/reload", headers=AUTH).json()
        assert waiting["awaiting_approval"] == ["grower"]
        assert 'data-plugin="grower"' in client.get("/ui/approvals").text

        refused = client.post("/ui/approvals/grower/refuse", data={"csrf_token": csrf})
        page = client.get(refused.headers["location"]).text
        assert "refused grower 0.1.0: grants hooks.modify, kv" in page
        assert '<tr class="pending" data-plugin="grower">' not in page
        assert '<tr class="refused" data-plugin="grower">' in page
        refusal = store.refusal("grower", ["hooks.modify", "kv"])
        assert refusal is not None
        assert refusal.refused_by.startswith("console:")

        # the next reload does not ask again: the refusal is remembered
        again = httpx.post(f"{gateway}/api/plugins/reload", headers=AUTH).json()
        assert (again["swapped"], again["awaiting_approval"]) == (False, [])
        assert [r["plugin"] for r in again["refused"]] == ["grower"]
        # approving overrides it (the button of a later request, or the CLI: one function)
        # the form carries the grant set the page showed (approvals.html)
        shown = {"csrf_token": csrf, "grant": ["hooks.modify", "kv"]}
        approved = client.post("/ui/approvals/grower/approve", data=shown)
        assert (
            "approved grower 0.1.0: grants hooks.modify, kv"
            in client.get(approved.headers["location"]).text
        )
    assert store.is_approved("grower", ["hooks.modify", "kv"])
    assert store.refusal("grower", ["hooks.modify", "kv"]) is None
    swapped = httpx.post(f"{gateway}/api/plugins/reload", headers=AUTH).json()
    assert swapped["swapped"] is True


def test_with_plugins_disabled_every_page_renders_and_says_so(config_file: Path) -> None:
    text = config_file.read_text().replace(
        "enabled = true\nhot_reload", "enabled = false\nhot_reload"
    )
    config_file.write_text(text)
    with gateway_processes() as start:
        _, base = start(config_file)
        client, csrf = logged_in(base)
        with closing(client):
            for path in ("/ui", "/ui/reloads", "/ui/approvals", "/ui/sessions", "/ui/hooks"):
                response = client.get(path)
                assert response.status_code == 200, path
            assert "Plugins are disabled" in client.get("/ui").text
            assert client.get("/ui/plugins/nope").status_code == 404
            assert client.get("/ui/sessions/nobody").status_code == 404
            reload = client.post("/ui/reloads", data={"csrf_token": csrf})
            assert "plugins are disabled" in client.get(reload.headers["location"]).text


def _leave_a_turn_open(config_file: Path) -> int:
    """A session whose turn was cut off (its message stored, never settled) and a settled
    one, written into the gateway's memory file before it starts: what a crash leaves."""

    async def write() -> int:
        async with MemoryStore.open(load_config(config_file).memory_location()) as store:
            settled = (
                await store.begin_turn(
                    "settled-chat", ChatMessage("user", "hello"), channel="gateway", user_id=None
                )
            ).message_id
            await store.settle_turn(
                "settled-chat",
                TurnWrites(messages=[ChatMessage("assistant", "hi")]),
                opened=settled,
            )
            cut_off = await store.begin_turn(
                "cut-off-chat",
                ChatMessage("user", "are you there?"),
                channel="gateway",
                user_id=None,
            )
            return cut_off.message_id

    return asyncio.run(write())


def test_a_turn_left_open_shows_in_the_api_and_on_the_sessions_pages(config_file: Path) -> None:
    opened = _leave_a_turn_open(config_file)
    with gateway_processes() as start:
        _, base = start(config_file)
        api = httpx.get(f"{base}/api/sessions/cut-off-chat", headers=AUTH, timeout=30)
        assert api.status_code == 200
        assert api.json()["open_turn"] == opened
        settled = httpx.get(f"{base}/api/sessions/settled-chat", headers=AUTH, timeout=30)
        assert settled.json()["open_turn"] is None

        client, _ = logged_in(base)
        with closing(client):
            rows = client.get("/ui/sessions").text.split("<tr")
            (cut_off,) = [row for row in rows if ">cut-off-chat</a>" in row]
            (settled_row,) = [row for row in rows if ">settled-chat</a>" in row]
            assert 'class="open-turn"' in cut_off
            assert "turn open" in cut_off
            assert "turn open" not in settled_row
            page = client.get("/ui/sessions/cut-off-chat").text
            assert "open-turn-notice" in page
            assert "turn open: no answer stored" in page
            assert "turn open" not in client.get("/ui/sessions/settled-chat").text
