"""The operator console: `/ui` on the gateway (docs/console.md).

Server-rendered pages (Jinja2, autoescaped) with htmx for the parts that update live from
server-sent events. Every asset is in this package (templates/, static/), so the console
works offline from a wheel. It is a view: the state it shows and the actions it offers are
those of the plugin reloader, the approvals store, the hook runner and the memory store,
called as the API and the CLI call them.

  logins.py    the session cookie and its CSRF token
  headers.py   the Content-Security-Policy and companions
  recorder.py  what the console shows that nothing else keeps (latency, log lines, ...)
  pages.py     what each page shows
  live.py      the server-sent events
  routes.py    the routes
"""
