"""The console's routes: log in, the five pages, their buttons and the live stream.

Each route reads the same objects the API and the CLI read and calls the same functions
they call (`PluginReloader.reload_async` as POST /api/plugins/reload does,
`approve_plugin` as `zeroclaw plugins approve` does, `HookRunner.explain` as `zeroclaw
hooks explain` does) and renders a page; nothing else happens here.

  GET  /ui                              Plugins (the overview)
  GET  /ui/login, POST /ui/login         a token or the pairing code -> a session cookie
  POST /ui/logout
  GET  /ui/plugins/{name}                one plugin in detail
  GET  /ui/reloads, POST /ui/reloads     history; reload now
  GET  /ui/approvals                     pending grant changes
  POST /ui/approvals/{name}/approve|refuse
  GET  /ui/sessions, /ui/sessions/{id}   stored sessions and one's history
  GET  /ui/hooks, POST /ui/hooks/explain handlers per event; explain a payload
  GET  /ui/events                        server-sent events (live.py)

Logged out, a page redirects to /ui/login; a POST or the stream answer 401. Every POST
but the login carries the login's CSRF token (logins.py); the login itself is refused
when the browser says it comes from another origin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined

from zeroclaw.errors import ZeroClawError, error_line
from zeroclaw.gateway.console import pages
from zeroclaw.gateway.console.headers import ConsoleHeaders
from zeroclaw.gateway.console.live import live_events
from zeroclaw.gateway.console.logins import (
    COOKIE,
    COOKIE_PATH,
    CSRF_FIELD,
    CSRF_HEADER,
    ConsoleLogin,
    ConsoleLogins,
)
from zeroclaw.gateway.console.recorder import ConsoleRecorder
from zeroclaw.gateway.pairing import PairingCodeError
from zeroclaw.gateway.session_ids import session_id_problem
from zeroclaw.gateway.sse import event_stream
from zeroclaw.gateway.state import GatewayState, State
from zeroclaw.hooks.explain import Explanation, change_lines
from zeroclaw.hooks.payload_json import modifying_event, payload_from_json
from zeroclaw.observability import AuthFailure
from zeroclaw.text_validity import UTF8_HINT, invalid_text

STATIC = Path(__file__).parent / "static"
# A pasted secret or payload is small; anything larger is a mistake, refused early.
_MAX_FIELD = 100_000

_templates = Environment(
    loader=PackageLoader("zeroclaw.gateway.console", "templates"),
    # Every value is escaped unless a template says otherwise (none does): whatever a
    # plugin controls (its description, errors, log lines) reaches the page as text.
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["when"] = lambda at: (
    datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else ""
)
_templates.globals["change_lines"] = change_lines
_templates.globals["policy_of"] = pages.policy_of

router = APIRouter(prefix="/ui", include_in_schema=False)


def install_console(app: FastAPI) -> None:
    """The console's routes, static files and headers on the gateway's app."""
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_middleware(ConsoleHeaders, prefix="/ui")
    app.add_exception_handler(_LoginRequired, _to_login)
    app.add_exception_handler(_CsrfRefused, _csrf_refused)


# -- who is logged in --------------------------------------------------------------------------


class _LoginRequired(Exception):
    pass


async def _to_login(request: Request, exc: Exception) -> Response:
    if request.method == "GET" and request.url.path != "/ui/events":
        return RedirectResponse("/ui/login", status_code=303)
    return PlainTextResponse(
        "not logged in to the console (or the login expired): log in at /ui/login",
        status_code=401,
    )


def _parts(state: GatewayState) -> tuple[ConsoleLogins, ConsoleRecorder]:
    assert state.console_logins is not None
    assert state.console_recorder is not None
    return state.console_logins, state.console_recorder


async def _login(request: Request, state: State) -> ConsoleLogin:
    logins, _ = _parts(state)
    login = logins.find(request.cookies.get(COOKIE))
    if login is None:
        raise _LoginRequired()
    return login


Login = Annotated[ConsoleLogin, Depends(_login)]


async def _checked(request: Request, login: Login) -> ConsoleLogin:
    """The login of a state-changing request that carries its CSRF token."""
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not login.csrf_matches(presented):
        raise _CsrfRefused()
    return login


class _CsrfRefused(Exception):
    pass


Checked = Annotated[ConsoleLogin, Depends(_checked)]


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(
        "refused: the form's CSRF token is missing or wrong (an old page, or a request "
        "from another site); reload the console page and try again",
        status_code=403,
    )


def _render(
    request: Request,
    state: GatewayState,
    template: str,
    login: ConsoleLogin | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    registry = state.runtime.plugins
    html = _templates.get_template(template).render(
        request_path=request.url.path,
        csrf=login.csrf if login else "",
        csrf_field=CSRF_FIELD,
        logged_in=login is not None,
        notice=login.take_notice() if login else None,
        plugins_enabled=registry is not None,
        generation=registry.current().generation if registry is not None else 0,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def _back(login: ConsoleLogin, to: str, notice: str) -> RedirectResponse:
    login.notice = notice
    return RedirectResponse(to, status_code=303)


async def _field(request: Request, name: str) -> str:
    """A text field of the posted form ("" when absent); ZeroClawError when it is too long
    or not valid text."""
    form = await request.form()
    value = form.get(name)
    text = value if isinstance(value, str) else ""
    if len(text) > _MAX_FIELD:
        raise ZeroClawError(
            f"the {name} is {len(text)} characters long, over the console's {_MAX_FIELD}",
            hint="shorten it",
        )
    if invalid_text(text, name) is not None:
        raise ZeroClawError(f"the {name} is not valid UTF-8 text", hint=UTF8_HINT)
    return text


# -- logging in and out --------------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request, state: State) -> Response:
    return _render(request, state, "login.html", None, error=None, pairing=_pairing_open(state))


@router.post("/login")
async def login(request: Request, state: State) -> Response:
    if not _same_origin(request):
        return PlainTextResponse(
            "refused: this login form was sent from another site", status_code=403
        )
    try:
        secret = (await _field(request, "secret")).strip()
    except ZeroClawError:
        secret = "-"  # no token or code looks like that: refused below, as any wrong one
    caller = state.auth.verify(secret)
    if caller is None and state.pairing is not None and state.pairing.open and secret:
        try:
            caller = state.auth.verify(state.pairing.exchange(secret))
        except PairingCodeError:
            caller = None
    if caller is None:
        client = request.client
        where = f"{client.host}:{client.port}" if client else "?"
        reason = "invalid token or pairing code" if secret else "no token"
        state.runtime.observer.record(AuthFailure("console", where, request.url.path, reason))
        return _render(
            request,
            state,
            "login.html",
            None,
            status_code=401,
            error="That is neither a gateway token nor the pairing code (which works once).",
            pairing=_pairing_open(state),
        )
    logins, _ = _parts(state)
    cookie, _ = logins.open(caller)
    response = RedirectResponse("/ui", status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=logins.ttl_s,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request, state: State, login: Checked) -> Response:
    logins, _ = _parts(state)
    logins.close(request.cookies.get(COOKIE))
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


def _pairing_open(state: GatewayState) -> bool:
    return state.pairing is not None and state.pairing.open


def _same_origin(request: Request) -> bool:
    """False when the browser says the form came from another origin (Origin header)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


# -- plugins ---------------------------------------------------------------------------------


@router.get("")
async def plugins_page(request: Request, state: State, login: Login) -> Response:
    _, recorder = _parts(state)
    return _render(
        request,
        state,
        "plugins.html",
        login,
        plugins=pages.plugin_views(state.runtime, recorder),
        status=pages.reload_status(state.runtime),
    )


@router.get("/plugins/{name}")
async def plugin_page(name: str, request: Request, state: State, login: Login) -> Response:
    _, recorder = _parts(state)
    found = [p for p in pages.plugin_views(state.runtime, recorder) if p.name == name]
    if not found:
        return _render(
            request, state, "missing.html", login, status_code=404, what=f"plugin {name!r}"
        )
    return _render(request, state, "plugin.html", login, plugin=found[0])


# -- reloads -----------------------------------------------------------------------------------


@router.get("/reloads")
async def reloads_page(request: Request, state: State, login: Login) -> Response:
    status = pages.reload_status(state.runtime)
    return _render(
        request, state, "reloads.html", login, status=status, rows=pages.reload_rows(status)
    )


@router.post("/reloads")
async def reload_now(state: State, login: Checked) -> Response:
    reloader = state.runtime.reloader
    if reloader is None:
        return _back(login, "/ui/reloads", "plugins are disabled (plugins.enabled = false)")
    report = await reloader.reload_async("console")
    # As POST /api/plugins/reload: on PostgreSQL every other replica reloads too.
    fleet = " (the other replicas were asked to reload too)" if state.fleet is not None else ""
    if state.fleet is not None:
        await state.fleet.announce_reload()
    if report.swapped:
        notice = (
            f"reloaded: generation {report.generation} serves {report.plugins} plugin(s){fleet}"
        )
    else:
        notice = f"reload rolled back, generation {report.generation} serves on: {report.reason}"
    return _back(login, "/ui/reloads", notice)


# -- approvals ---------------------------------------------------------------------------------


@router.get("/approvals")
async def approvals_page(request: Request, state: State, login: Login) -> Response:
    try:
        pending, problem = pages.pending(state.runtime), None
    except ZeroClawError as error:
        pending, problem = (), error_line(error)
    status = pages.reload_status(state.runtime)
    return _render(
        request,
        state,
        "approvals.html",
        login,
        pending=pending,
        refused=status.refused if status else (),
        problem=problem,
        required=status.require_approval if status else False,
    )


@router.post("/approvals/{name}/approve")
async def approve(name: str, request: Request, state: State, login: Checked) -> Response:
    reloader = state.runtime.reloader
    if reloader is None or reloader.approvals is None:
        return _back(login, "/ui/approvals", "plugins are disabled (plugins.enabled = false)")
    from zeroclaw.plugins.lifecycle.approval import approve_plugin

    try:
        # The grant set the page showed: the plugin's folder may have changed since.
        shown = [g for g in (await request.form()).getlist("grant") if isinstance(g, str)]
        done = approve_plugin(reloader.config, reloader.approvals, name, shown=shown)
    except ZeroClawError as error:
        return _back(login, "/ui/approvals", f"not approved: {error_line(error)}")
    grants = ", ".join(done.approval.grants) or "none"
    return _back(
        login,
        "/ui/approvals",
        f"approved {name} {done.manifest.version}: grants {grants}; it serves from the next reload",
    )


@router.post("/approvals/{name}/refuse")
async def refuse(name: str, state: State, login: Checked) -> Response:
    reloader = state.runtime.reloader
    if reloader is None or reloader.approvals is None:
        return _back(login, "/ui/approvals", "plugins are disabled (plugins.enabled = false)")
    from zeroclaw.plugins.lifecycle.approval import refuse_plugin

    by = f"console:{login.caller.token_id}"
    try:
        done = refuse_plugin(reloader.config, reloader.approvals, name, by)
    except ZeroClawError as error:
        return _back(login, "/ui/approvals", f"not refused: {error_line(error)}")
    reloader.refused(done.refusal)
    grants = ", ".join(done.refusal.grants) or "none"
    return _back(
        login,
        "/ui/approvals",
        f"refused {name} {done.manifest.version}: grants {grants}; the serving generation "
        "keeps its version, and reloads will not ask again while it asks for this",
    )


# -- sessions ----------------------------------------------------------------------------------


@router.get("/sessions")
async def sessions_page(request: Request, state: State, login: Login) -> Response:
    try:
        found, problem = await pages.sessions(state.runtime), None
    except ZeroClawError as error:
        found, problem = [], error_line(error)
    return _render(request, state, "sessions.html", login, sessions=found, problem=problem)


@router.get("/sessions/{session_id:path}")
async def session_page(session_id: str, request: Request, state: State, login: Login) -> Response:
    if session_id_problem(session_id) is not None:
        view = None
    else:
        try:
            view = await pages.session_view(state.runtime, session_id)
        except ZeroClawError as error:
            return _render(
                request, state, "missing.html", login, status_code=503, what=error_line(error)
            )
    if view is None:
        return _render(
            request, state, "missing.html", login, status_code=404, what=f"session {session_id!r}"
        )
    return _render(request, state, "session.html", login, view=view)


# -- hooks -------------------------------------------------------------------------------------


def _hooks(
    request: Request,
    state: State,
    login: ConsoleLogin,
    *,
    event: str,
    payload: str,
    explanation: Explanation | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return _render(
        request,
        state,
        "hooks.html",
        login,
        status_code=status_code,
        table=pages.hook_table(state.runtime),
        events=pages.explainable_events(),
        chosen=event,
        payload=payload,
        explanation=explanation,
        error=error,
    )


@router.get("/hooks")
async def hooks_page(request: Request, state: State, login: Login) -> Response:
    name = request.query_params.get("event", "before_prompt_build")
    try:
        event = modifying_event(name)
    except ZeroClawError as error:
        return _hooks(request, state, login, event=name, payload="{}", error=error_line(error))
    return _hooks(request, state, login, event=event.value, payload=pages.sample_json(event))


@router.post("/hooks/explain")
async def explain(request: Request, state: State, login: Checked) -> Response:
    name = raw = ""
    try:
        name = await _field(request, "event")
        raw = await _field(request, "payload")
        event = modifying_event(name)
        payload = payload_from_json(event, raw, "the payload")
        explanation = await state.runtime.live_hooks().explain(event, payload)
    except ZeroClawError as error:
        return _hooks(
            request,
            state,
            login,
            event=name,
            payload=raw,
            error=error_line(error),
            status_code=400,
        )
    return _hooks(request, state, login, event=event.value, payload=raw, explanation=explanation)


# -- live --------------------------------------------------------------------------------------


@router.get("/events")
async def events(state: State, login: Login) -> Response:
    _, recorder = _parts(state)
    return event_stream(
        live_events(state, recorder),
        headers={"X-Accel-Buffering": "no"},
        grace_s=state.settings.shutdown_grace_s,
    )
