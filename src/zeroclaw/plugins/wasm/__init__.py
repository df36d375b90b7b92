"""How a plugin's component runs: the shared engine and its settings, the compile cache,
instances and their pools, calls (deadlines, slots, the breaker), the conversion of values
at the WIT boundary, and the classification of traps. The modules that touch wasmtime import
it; import them only when plugins are enabled.
"""
