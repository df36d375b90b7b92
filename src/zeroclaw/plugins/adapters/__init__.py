"""Loaded plugins as the host's own kinds of objects: `HookHandler`s (hooks.py), `Tool`s
(tools.py) and `Provider`s (providers.py), so the hook runner, the tool registry and the
provider factory treat a plugin as they treat native code.
"""
