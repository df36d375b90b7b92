"""The HTTP gateway: FastAPI under uvicorn, auth, the OpenAI-compatible API.

Import from the modules: `lifecycle.server.open_gateway(config, host=..., port=...)`
builds the runtime and a bound server whose `run()` serves until SIGTERM/SIGINT;
`app.create_app(state)` is the ASGI app alone; `auth.hash_token` makes the stored form of
a token. This package imports nothing itself: the config models import
`gateway.settings`, and the app imports the config.
"""
