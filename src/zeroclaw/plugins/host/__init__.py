"""The host side of `zeroclaw:host@1.0.0`: what a plugin may call back into.

`context` holds what every host function shares (the plugin's view of the host, the
runtime's services, the never-raise rule); `linker` links the granted interfaces into a
plugin's linker; `log`, `kv`, `config`, `http` and `memory` are one WIT interface each
(wit/zeroclaw/host/v1/). Nothing here imports wasmtime at import time.
"""
