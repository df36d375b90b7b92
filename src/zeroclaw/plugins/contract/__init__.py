"""What a plugin is checked against before anything of it runs: its manifest, the ABI of
the WIT packages it declares, the capability grammar, the grants the config gives it, the
check of its component's imports against those grants, and the permission diffs a reload
must have approved. Nothing here imports wasmtime.
"""
