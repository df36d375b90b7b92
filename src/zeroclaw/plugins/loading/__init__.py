"""From a plugin directory to a `LoadedPlugin`: every step of loading (manifest, ABI, grants,
compile, exports, imports, link, instantiate, self-describe), in order, each refusing with a
typed error. Imports wasmtime; import it only when plugins are enabled.
"""
