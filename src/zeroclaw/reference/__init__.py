"""The generated documents: docs/commands-reference.md, docs/config-reference.md and their
translations.

They are written from the code (the typer app, the config models) so they cannot drift
from it; the parts a person writes (explanations, examples, the `--json` shapes) live
between prose markers in the documents themselves and are carried over on every
regeneration. `python -m zeroclaw.reference` rewrites all of them at once, so after any
merge that changes a command, an option or a config key, regenerating is one command.

This package sits above the CLI (it reads the CLI app), and nothing imports it.
"""
