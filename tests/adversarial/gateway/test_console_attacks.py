"""The operator console (`/ui`) attacked as a hostile client would: a real gateway under
uvicorn on 127.0.0.1, driven with httpx (no browser: an attacker sends what it likes).

What must hold: no state change without a login and that login's own CSRF token; no login
from another origin; a cookie the server did not issue is no login, and one logged out is
dead; the pairing code works once, even raced, and wrong codes burn it; whatever a form
carries (deep, huge, not text) ends in a 4xx page, never a 500; names with path tricks are
404s; browsers that open the live stream and never read do not stall anyone else; what a
session holds (markup, controls, a megabyte) reaches the page as escaped text.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from gateway_harness import TOKEN, Gateway, make_config, running_gateway

from zeroclaw.gateway.console.logins import COOKIE, CSRF_HEADER

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    config = make_config(tmp_path_factory.mktemp("console-attacks"))
    config.gateway.console.enabled = True
    config.gateway.console.live_interval_ms = 100
    config.gateway.rate_limit_per_minute = 0
    with running_gateway(config) as running:
        yield running


def _plain(gateway: Gateway) -> httpx.Client:
    # A fresh connection per client, no redirects followed: each answer is seen as sent.
    return httpx.Client(base_url=gateway.base_url, timeout=30, follow_redirects=False)


def _cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={value}"}


def _login(gateway: Gateway, secret: str = TOKEN) -> tuple[str, str]:
    """(cookie, csrf token) of a new console login."""
    with _plain(gateway) as http:
        answer = http.post("/ui/login", data={"secret": secret})
        assert answer.status_code == 303, answer.text
        cookie = answer.cookies[COOKIE]
        page = http.get("/ui/hooks", headers=_cookie(cookie))
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return cookie, found.group(1)


def _logged_in(gateway: Gateway, cookie: str) -> bool:
    with _plain(gateway) as http:
        return http.get("/ui", headers=_cookie(cookie)).status_code == 200


STATE_CHANGING = [
    ("/ui/logout", {}),
    ("/ui/reloads", {}),
    ("/ui/approvals/anything/approve", {}),
    ("/ui/approvals/anything/refuse", {}),
    ("/ui/hooks/explain", {"event": "before_prompt_build", "payload": "{}"}),
]


@pytest.mark.parametrize(("path", "form"), STATE_CHANGING)
def test_a_post_needs_its_own_logins_csrf_token(
    gateway: Gateway, path: str, form: dict[str, str]
) -> None:
    victim, _victim_csrf = _login(gateway)
    _attacker, attacker_csrf = _login(gateway)
    tries: list[tuple[dict[str, str], dict[str, str]]] = [
        ({}, form),  # none at all: a cross-site form
        ({}, {**form, "csrf_token": ""}),
        ({}, {**form, "csrf_token": attacker_csrf}),  # another login's token
        ({CSRF_HEADER: attacker_csrf}, form),
        ({CSRF_HEADER: "é" * 43}, form),  # not ASCII (sent as latin-1): compared, no crash
        # a wrong header is not rescued by a form field
        ({CSRF_HEADER: "x"}, {**form, "csrf_token": attacker_csrf}),
    ]
    with _plain(gateway) as http:
        for headers, data in tries:
            sent = {k: v.encode("latin-1") for k, v in headers.items()}
            answer = http.post(path, headers={**_cookie(victim), **sent}, data=data)
            assert answer.status_code == 403, (headers, data, answer.text)
            assert "CSRF token is missing or wrong" in answer.text
    # nothing happened: the victim is still logged in (logout was refused every time)
    assert _logged_in(gateway, victim)


@pytest.mark.parametrize("path", [p for p, _ in STATE_CHANGING])
def test_a_post_without_a_login_is_a_401_and_changes_nothing(gateway: Gateway, path: str) -> None:
    with _plain(gateway) as http:
        for cookie in (None, "attacker-chosen-value", ""):
            headers = _cookie(cookie) if cookie is not None else {}
            answer = http.post(path, headers=headers, data={"csrf_token": "x"})
            assert answer.status_code == 401, answer.text
            assert "log in at /ui/login" in answer.text
        # a gateway bearer token is not a console login either
        answer = http.post(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 401


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://evil.example", None),
        ("null", None),  # a sandboxed frame or a data: URL
        ("http://evil.example", "evil.example"),  # the right shape, from the wrong host
        ("https://127.0.0.1", None),  # another scheme
    ],
)
def test_a_login_from_another_origin_is_refused(
    gateway: Gateway, origin: str, host: str | None
) -> None:
    headers = {"Origin": origin}
    with _plain(gateway) as http:
        if host is not None:
            # A page of evil.example that rebinds its name to 127.0.0.1 is same-origin as
            # far as the browser knows (and the cookie would be evil.example's, never sent
            # to 127.0.0.1): what stops it is that it must know a token or the code.
            headers["Host"] = host
            answer = http.post("/ui/login", headers=headers, data={"secret": "guess"})
            assert answer.status_code == 401
            assert COOKIE not in answer.cookies
            return
        answer = http.post("/ui/login", headers=headers, data={"secret": TOKEN})
    assert answer.status_code == 403
    assert COOKIE not in answer.cookies
    assert answer.text == "refused: this login form was sent from another site"


def test_a_planted_cookie_is_not_a_login_and_is_not_adopted(gateway: Gateway) -> None:
    planted = "fixed-by-the-attacker-0123456789abcdef"
    with _plain(gateway) as http:
        page = http.get("/ui", headers=_cookie(planted))
        assert page.status_code == 303
        assert page.headers["location"] == "/ui/login"
        # the victim logs in while the planted cookie is set
        answer = http.post("/ui/login", headers=_cookie(planted), data={"secret": TOKEN})
    assert answer.status_code == 303
    issued = answer.cookies[COOKIE]
    assert issued != planted
    assert not _logged_in(gateway, planted)
    assert _logged_in(gateway, issued)
    cookie_header = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie_header
    assert "samesite=strict" in cookie_header
    assert "path=/ui" in cookie_header


def test_a_logged_out_cookie_is_dead(gateway: Gateway) -> None:
    cookie, csrf = _login(gateway)
    with _plain(gateway) as http:
        out = http.post("/ui/logout", headers=_cookie(cookie), data={"csrf_token": csrf})
        assert out.status_code == 303
        # replayed: the cookie and its CSRF token no longer act
        again = http.post("/ui/reloads", headers=_cookie(cookie), data={"csrf_token": csrf})
    assert again.status_code == 401
    assert not _logged_in(gateway, cookie)


def test_a_wrong_secret_of_any_shape_is_a_401_page(gateway: Gateway) -> None:
    with _plain(gateway) as http:
        for data in (
            {"secret": "zc_" + "A" * 43},
            {"secret": "x" * 200_000},  # over the field cap
            {"secret": "\x00\x1b[31m\u202e"},
            {},
        ):
            answer = http.post("/ui/login", data=data)
            assert answer.status_code == 401, answer.text[:200]
            assert COOKIE not in answer.cookies
        # bytes that are not UTF-8, as a raw form body
        raw = http.post(
            "/ui/login",
            content=b"secret=%FF%FE%00",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert raw.status_code == 401


def test_a_pairing_code_works_once_even_raced(tmp_path_factory: pytest.TempPathFactory) -> None:
    config = make_config(tmp_path_factory.mktemp("console-pairing"))
    config.gateway.console.enabled = True
    config.gateway.pairing = True
    config.gateway.rate_limit_per_minute = 0
    with running_gateway(config) as gateway:
        code = gateway.state.pairing.code
        results: list[int] = []
        lock = threading.Lock()

        def race(index: int) -> None:
            with _plain(gateway) as http:
                if index % 2:
                    status = http.post("/ui/login", data={"secret": code.lower()}).status_code
                else:
                    status = http.post("/pair", json={"code": code}).status_code
            with lock:
                results.append(status)

        threads = [threading.Thread(target=race, args=(i,)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        won = [s for s in results if s in (200, 303)]
        assert len(won) == 1, results
        assert all(s in (200, 303, 401, 403) for s in results), results
        with _plain(gateway) as http:
            assert http.post("/ui/login", data={"secret": code}).status_code == 401


def test_wrong_codes_burn_the_pairing_code(tmp_path_factory: pytest.TempPathFactory) -> None:
    config = make_config(tmp_path_factory.mktemp("console-burn"))
    config.gateway.console.enabled = True
    config.gateway.pairing = True
    config.gateway.rate_limit_per_minute = 0
    with running_gateway(config) as gateway:
        code = gateway.state.pairing.code
        with _plain(gateway) as http:
            for guess in range(10):
                answer = http.post("/ui/login", data={"secret": f"AAAA-{guess:04d}"})
                assert answer.status_code == 401
            # the eleventh try has the right code: too late, it is burned
            assert http.post("/ui/login", data={"secret": code}).status_code == 401
            assert http.post("/pair", json={"code": code}).status_code in (401, 403, 404)


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ("[" * 40_000 + "]" * 40_000, "nested too deeply"),
        ('{"context": ' + "[" * 900 + "]" * 900 + "}", "the payload"),
        ("x" * 150_000, "over the console&#39;s 100000"),
        ("{" * 50_000, "not valid JSON"),
        ('{"session_id": "' + "\u202e\x1b[2J" * 1000 + '"}', "the payload"),
    ],
    ids=["deep-arrays", "deep-in-a-field", "huge", "unclosed", "controls"],
)
def test_a_hostile_explain_payload_is_a_400_page(gateway: Gateway, payload: str, says: str) -> None:
    cookie, csrf = _login(gateway)
    with _plain(gateway) as http:
        answer = http.post(
            "/ui/hooks/explain",
            headers=_cookie(cookie),
            data={"csrf_token": csrf, "event": "before_prompt_build", "payload": payload},
        )
    assert answer.status_code == 400, answer.text[:300]
    assert says in answer.text
    assert "Traceback" not in answer.text
    assert _logged_in(gateway, cookie)


@pytest.mark.parametrize(
    "path",
    [
        "/ui/plugins/..%2f..%2f..%2fetc%2fpasswd",
        "/ui/plugins/%2e%2e",
        "/ui/sessions/..%2f..%2fconfig.toml",
        "/ui/sessions/%00",
        "/ui/sessions/" + "a" * 5000,
        "/ui/static/..%2f..%2froutes.py",
        "/ui/static/%2e%2e/routes.py",
        "/ui/hooks?event=../../etc/passwd",
    ],
)
def test_path_tricks_in_names_are_not_found(gateway: Gateway, path: str) -> None:
    cookie, _ = _login(gateway)
    with _plain(gateway) as http:
        answer = http.get(path, headers=_cookie(cookie))
    assert answer.status_code in (200, 404), answer.text[:200]
    assert "root:" not in answer.text
    assert "def install_console" not in answer.text
    assert "Traceback" not in answer.text


def test_live_streams_that_are_never_read_stall_nobody(gateway: Gateway) -> None:
    cookie, _ = _login(gateway)
    host, port = gateway.base_url.removeprefix("http://").split(":")
    request = (
        f"GET /ui/events HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {COOKIE}={cookie}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode()
    readers: list[socket.socket] = []
    try:
        for _ in range(40):
            sock = socket.create_connection((host, int(port)))
            # the smallest receive buffer: the server's writes back up at once
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            sock.sendall(request)
            readers.append(sock)
        with _plain(gateway) as http:
            for _ in range(20):
                assert http.get("/health").status_code == 200
            chat = http.post(
                "/v1/chat/completions",
                headers={"Authorization": f"Bearer {TOKEN}"},
                json={"model": "zeroclaw", "messages": [{"role": "user", "content": "hi"}]},
            )
            assert chat.status_code == 200
            assert _logged_in(gateway, cookie)
    finally:
        for sock in readers:
            sock.close()
    with _plain(gateway) as http:
        assert http.get("/health").status_code == 200


def test_what_a_session_holds_reaches_the_page_as_text(gateway: Gateway) -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\x1b[31m\u202e\x07"
    big = hostile + "z" * 1_000_000
    with _plain(gateway) as http:
        chat = http.post(
            "/v1/chat/completions",
            headers={"Authorization": f"Bearer {TOKEN}", "X-Session-Id": "hostile-text"},
            json={"model": "zeroclaw", "messages": [{"role": "user", "content": big}]},
        )
        assert chat.status_code == 200, chat.text[:300]
    cookie, _ = _login(gateway)
    with _plain(gateway) as http:
        listing = http.get("/ui/sessions", headers=_cookie(cookie))
        page = http.get("/ui/sessions/hostile-text", headers=_cookie(cookie))
    assert listing.status_code == 200
    assert "hostile-text" in listing.text
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
