"""docs/config-reference.md, generated from the models.

Run `python -m zeroclaw.reference` (every generated doc) after changing a key; a test
fails while the file is out of date. The key tables, the built-in providers,
the plugin limits and the error examples all come from the code, so they cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from zeroclaw.config.bounded_toml import MAX_TOML_DEPTH
from zeroclaw.config.environment import ENV_PREFIX, NESTING
from zeroclaw.config.loader import MAX_CONFIG_BYTES, ConfigError, parse_config
from zeroclaw.config.models import LLMConfig, PluginLimits
from zeroclaw.config.schema import NAME, KeySchema, SectionSchema, sections
from zeroclaw.config.toml_text import toml_document, toml_dotted, toml_value

# Each one is parsed for real, so the reference shows the messages users will see.
_BAD_EXAMPLE = """\
[agent]
max_tool_iterations = "lots"
max_tool_iteration = 3

[tools]
autonomy = "yolo"
allowed = ["shell", 3]

[llm.providers.mine]
kind = "nope"

[plugins.overrides.big-plugin.limits]
memory_mb = 512
"""

# Written out rather than produced: the parser's wording differs between Python versions.
_SYNTAX_ERROR = (
    "error: config.toml is not valid TOML: "
    "Expected '=' after a key in a key/value pair (at line 2, column 21)\n"
    "hint: fix the syntax at the line shown"
)

_INTRO = """\
<!-- Generated from src/zeroclaw/config/models.py by `python -m zeroclaw.reference`.
     Do not edit by hand: tests/config/test_config_reference.py fails while this file is
     out of date. -->

# Configuration reference

ZeroClaw reads one TOML file. Every key is optional: a missing key has the default listed
below, and a missing default file means "all defaults". Unknown keys and wrong values are
errors that name the key, so a typo never passes silently.

- `zeroclaw config init [--path PATH] [--force]` writes a commented file with every key at
  its default; an existing file is kept unless `--force` is given.
- `zeroclaw config validate [PATH] [--json]` prints `OK: <path>` and exits 0, or lists every
  problem and exits 1.
- `zeroclaw config show [--sources] [--json]` prints the effective settings as TOML: the
  file they came from, resolved paths, and secrets masked (API keys, MCP servers' env
  values and headers); `--sources` says after each
  value where it came from (`default`, `file`, `.env VARIABLE` or `env VARIABLE`).
- `zeroclaw config get KEY [--json]` prints one effective value (text as it is, other
  values and tables as TOML; an unset key prints an empty line).
- `zeroclaw config set KEY VALUE [--json]` changes one key in the file, keeping its comments and
  layout; the whole file is validated first, so an invalid value changes nothing. VALUE is
  taken as it is for text keys (`config set llm.model gpt-4o`), and as a TOML value for the
  others (`8`, `true`, `'["shell", "file_read"]'`). A new entry of a named table is set
  whole, as an inline table: `config set llm.routes.fast '{{provider = "openai", model =
  "gpt-4o-mini"}}'`. A key set on a file written by `config init` lands just below its
  commented example.
- `zeroclaw config unset KEY [--json]` removes a key from the file (its default applies again),
  and any table it leaves empty.
- `zeroclaw config path [--json]` prints the path of the config file in use.

What `set`, `unset`, `get` and `show` print never holds a secret whole (see
[API keys and other secrets](#api-keys-and-other-secrets)). The `--json` shapes are in
[commands-reference.md](commands-reference.md#json-output).

`set` and `unset` say so on stderr when an environment variable overrides the key they
changed.

## Where the file is

The first of these that applies:

1. `zeroclaw --config PATH ...` (or `-c PATH`), before the command name.
2. The `ZEROCLAW_CONFIG` environment variable.
3. The platform's config directory: `~/.config/zeroclaw/config.toml` on Linux (or under
   `$XDG_CONFIG_HOME`), `~/Library/Application Support/zeroclaw/config.toml` on macOS,
   under `%LOCALAPPDATA%` on Windows. `zeroclaw config path` prints it.

A file named by 1 or 2 must exist (otherwise it is an error); the platform default may be
missing, and then every key has its default value.

## Environment variables and `.env`

Every key can also be set by an environment variable, which wins over the file. Where a
value comes from, lowest precedence first:

1. the default listed below;
2. the config file;
3. the `.env` file;
4. the process environment;
5. a command's own options (`zeroclaw agent --provider`, `zeroclaw gateway --port`).

A later source replaces the value of an earlier one; tables merge key by key, and a list is
replaced whole. `zeroclaw config show --sources` says, for each value, which one set it.

The variable of a key is `ZEROCLAW_` followed by the key's dotted path with `__` (two
underscores) for each dot, in any case: `llm.provider` is `ZEROCLAW_LLM__PROVIDER`,
`agent.compaction.max_history_tokens` is `ZEROCLAW_AGENT__COMPACTION__MAX_HISTORY_TOKENS`,
an entry of a named table is reached by its name (`ZEROCLAW_LLM__PROVIDERS__MINE__KIND`;
names are read lower-case). The Keys tables below list each key's variable.

- Numbers, booleans (`true`/`false`, also `1`/`0`, `yes`/`no`, `on`/`off`), words and paths
  are written as they are: `ZEROCLAW_AGENT__MAX_TOOL_ITERATIONS=12`.
- Lists and tables are written as JSON: `ZEROCLAW_TOOLS__ALLOWED='["shell", "file_read"]'`,
  `ZEROCLAW_PLUGINS__OVERRIDES='{{"redact-secrets": {{"required": true}}}}'` (the way to reach
  an entry whose name is not a valid variable name).
- An empty variable counts as unset.
- Relative paths are relative to the config file's directory, as in the file.

The `.env` file is `.env` beside the config file in use (`zeroclaw config path`), if there
is one, or the file named by `ZEROCLAW_ENV_FILE` (which must exist; set it empty to read
none). It holds `NAME=value` lines, `#` comments, and quotes as a shell would. Two kinds
of names are read from it: the `ZEROCLAW_` variables of config keys, and the variables the
config names rather than sets (below); every other line is ignored, and nothing of it is
exported to anything else (the shell tool, MCP servers and plugins never inherit it). A
`.env` in the
current directory is **not** read unless named (`ZEROCLAW_ENV_FILE=.env`): a checkout of
someone else's project must not be able to loosen the tool policy or grant plugins
capabilities by holding one.

Mistakes are reported as for the file, with the key's dotted path and the variable that set
it, for example `` `llm.retry.max_attempts`: expected integer, got "lots" (from
ZEROCLAW_LLM__RETRY__MAX_ATTEMPTS in the environment) ``; a variable whose first part is
not a key of the file (`ZEROCLAW_LMM__PROVIDER`) is an unknown key with the closest one
suggested. Values read from the environment are validated with the same rules as the
file's, but as text (`"8"` is an integer there).

Secrets are not config keys: the config names the variable that holds one, and that
variable is read from the process environment, else from the `.env` file, by every part
that uses it (one lookup, `zeroclaw.named_env`, through the config the `.env` file was
found for: two configs in one process never share one). The real environment wins over `.env`;
a variable set empty (or to blanks) there counts as unset, so the file's value is used.
These are:

- `ZEROCLAW_DATABASE_URL`: the PostgreSQL URL with its password, used when `memory.url`
  is unset (docs/deployment.md);
- `ZEROCLAW_GATEWAY_TOKEN`: a gateway token in clear, accepted by `zeroclaw gateway` and
  sent by the commands that call a running gateway when `--token` is not given
  (docs/gateway.md);
- the variable each provider's `api_key_env` names (e.g. `OPENAI_API_KEY`);
- `hooks.webhook_audit.secret_env`;
- the variables of `plugins.overrides.<name>.secrets` and
  `plugins.overrides.<name>.http_credentials` (`secret`).

Their values are never printed: `zeroclaw config show` masks them (and names the `.env`
file when a key came from there), an error names the variable and where it was looked
for, and the audit log and webhook_audit redact them wherever they were read from. Two
variables are read from the environment only, since they choose the files:
`ZEROCLAW_CONFIG` (where the config file is) and `ZEROCLAW_ENV_FILE`. Any other
`ZEROCLAW_NAME` without `__` that is not a top-level key is left alone.

## Paths

Relative paths in the file are relative to the directory of the file, not to the current
directory, and `~` is expanded. These keys are paths:

{path_keys}

`tools.workspace` defaults to `DATA_DIR/workspace` and `memory.path` to
`DATA_DIR/zeroclaw.db`; `zeroclaw config show` prints the resolved values.

## API keys and other secrets

No secret is ever written in the config file. A provider's `api_key_env` names the
environment variable that holds its key, and the key is read from there (else from the
`.env` file, see above) when the provider is used. `zeroclaw config show` lists every
provider with an `api_key_env`, whether the variable is set, and at most the last 4
characters of its value. The one exception is an
MCP server's credentials (`env` values and `headers` of `[[mcp.servers]]`), which the
file, or `ZEROCLAW_MCP__SERVERS`, may hold: `config show`, `get`, `set` and `unset` print
them masked the same way, never whole.

The built-in providers (a `[llm.providers.<name>]` table of the same name replaces one, and
tables with new names are added beside them):

{builtin_providers}

## Plugins: safe by default

WebAssembly plugins can only do what the config grants, and the defaults grant nothing:

- `plugins.enabled = false`: no plugin is loaded, and the runtime behaves exactly as if the
  plugin subsystem did not exist (it does not even import wasmtime).
- `plugins.hot_reload = false`: plugin directories are not watched; a reload happens only
  when asked for.
- `plugins.capabilities.allow = []`: an empty allow list grants **nothing**. A plugin is
  granted a capability only if it requests it, `allow` lists it and `deny` does not
  (granted = requested ∩ allow − deny). A plugin whose component imports a host interface
  it was not granted fails to load, with an error naming the key that would grant it.
- `[plugins.limits]` bound every call: {limits}.
- `[plugins.overrides.<name>]` settings may only **tighten** the global ones: a limit
  above its `[plugins.limits]` value is rejected when the file is loaded, the plugin's
  `capabilities.allow` (when not empty) narrows the global allow list, and its
  `capabilities.deny` is added to the global deny list. `required = true` makes the host
  refuse to serve when that plugin fails to load or is quarantined, instead of running
  without it. A plugin's own `plugin.toml` `[limits]` may likewise only tighten.

## Errors

A bad file stops the command with one line per problem: the key's full dotted path
(entries of named tables and lists included, as in `llm.providers.mine.kind` or
`tools.allowed[2]`), what is expected, and what was given. An unknown key lists the valid
keys of its section and the closest match. For example, this file:

```toml
{bad_example}
```

gives:

```text
{bad_errors}
```

A file that is not valid TOML names the line and column:

```text
{syntax_error}
```

Values are checked strictly: `"8"` is not an integer and `true` is not a number.

The file may be at most {max_config}, checked before it is read, and may nest
tables and arrays at most {max_depth} levels deep (arrays, inline tables and the parts of a
dotted key all count); past either limit the command stops with one line naming the file
and the limit, before the TOML parser runs.

## Keys
"""


# How a translation asks for a description: (kind, key, English text) -> text in its
# language. English is the identity. Kinds: "label", "section", "named", "config" (a
# key's description), "default" (a default that depends on the machine, in words), "type"
# (a key's type in words, keyed by its English: `integer, 1 to 100`).
Describe = Callable[[str, str, str], str]

# The document's own words, as labels a translation catalogue can give in its language.
LABELS = {
    "top_level": "Top level",
    "named_table": "is a table of named entries.",
    "built_in": "Built in:",
    "key": "Key",
    "type": "Type",
    "default": "Default",
    "description": "Description",
    "variable": "Variable",
    "required": "required",
    "unset": "unset",
}


def english(kind: str, key: str, text: str) -> str:
    return text


def render_reference() -> str:
    """The whole of docs/config-reference.md."""
    return _INTRO.format(**fragments()) + render_keys(english)


def fragments() -> dict[str, str]:
    """The parts of the introduction computed from the code, by name: a translation's
    introduction holds them too, refreshed on every regeneration."""
    return {
        "path_keys": _path_keys(),
        "builtin_providers": _builtin_providers(),
        "limits": _limit_defaults(),
        "bad_example": _BAD_EXAMPLE.strip(),
        "bad_errors": _bad_errors(),
        "syntax_error": _SYNTAX_ERROR,
        "max_config": f"{MAX_CONFIG_BYTES // (1024 * 1024)} MiB ({MAX_CONFIG_BYTES:,} bytes)",
        "max_depth": str(MAX_TOML_DEPTH),
    }


def render_keys(describe: Describe, *, anchors: bool = False) -> str:
    """The tables of every section's keys, their descriptions given by `describe`.

    With `anchors`, each heading is preceded by the anchor GitHub gives the English
    heading, so a link written against the English page works on a translation too.
    """
    label = {name: describe("label", f"config.{name}", text) for name, text in LABELS.items()}
    return "".join(_section(section, describe, label, anchors) for section in sections())


def _section(
    section: SectionSchema, describe: Describe, label: dict[str, str], anchors: bool
) -> str:
    title = f"[{section.title}]" if section.path else label["top_level"]
    where = section.title or "(top level)"
    english = f"[{section.title}]" if section.path else LABELS["top_level"]
    anchor = f'\n<a id="{github_anchor(english)}"></a>\n' if anchors else ""
    out = [f"{anchor}\n### {title}\n\n", describe("section", where, section.description) + "\n"]
    if section.named is not None:
        table = toml_dotted(section.path[:-1])
        text = describe("named", where, section.named.description)
        out.append(f"\n`[{table}]` {label['named_table']} {text}\n")
        if section.named.builtin:
            builtin = ", ".join(f"`{n}`" for n in section.named.builtin)
            out.append(f"{label['built_in']} {builtin}.\n")
        if section.named.example is not None:
            example = toml_document(section.named.example, at=section.path[:-1])
            out.append(f"\n```toml\n{example}```\n")
    header = [label[name] for name in ("key", "type", "default", "description", "variable")]
    out.append("\n| " + " | ".join(header) + " |\n|---|---|---|---|---|\n")
    for key in section.keys:
        dotted = f"{section.title}.{key.name}" if section.path else key.name
        text = describe("config", dotted, key.description)
        out.append(
            f"| `{key.name}` | {_cell(describe('type', key.type_text, key.type_text))} | "
            f"{_default(key, dotted, describe, label)} | "
            f"{_cell(text)} | `{_variable(section, key)}` |\n"
        )
    return "".join(out)


def _variable(section: SectionSchema, key: KeySchema) -> str:
    return ENV_PREFIX + NESTING.join(
        "<NAME>" if part == NAME else part.upper() for part in (*section.path, key.name)
    )


def _default(key: KeySchema, dotted: str, describe: Describe, label: dict[str, str]) -> str:
    if key.required:
        return label["required"]
    if key.platform_default is not None:
        return _cell(describe("default", dotted, key.platform_default))
    if key.default is None:
        return label["unset"]
    return f"`{_cell(toml_value(key.default))}`"


def _path_keys() -> str:
    keys = [
        f"`{section.title + '.' if section.path else ''}{key.name}`"
        for section in sections()
        for key in section.keys
        if key.type_text in ("path", "list of paths")
    ]
    return ", ".join(keys) + "."


def _builtin_providers() -> str:
    rows = ["| Name | kind | base_url | api_key_env | model |", "|---|---|---|---|---|"]
    for name, provider in LLMConfig().providers.items():
        cells = [provider.kind, provider.base_url, provider.api_key_env, provider.model]
        rows.append(f"| `{name}` | " + " | ".join(f"`{c}`" if c else "-" for c in cells) + " |")
    return "\n".join(rows)


def _limit_defaults() -> str:
    limits = PluginLimits()
    fuel = "off" if limits.fuel is None else str(limits.fuel)
    return (
        f"`timeout_ms = {limits.timeout_ms}` (wall clock), `memory_mb = {limits.memory_mb}`, "
        f"`max_concurrency = {limits.max_concurrency}`, and `fuel` {fuel} by default"
    )


def _bad_errors() -> str:
    try:
        parse_config(_BAD_EXAMPLE, source=Path("config.toml"))
    except ConfigError as exc:
        return f"error: {exc.message}\nhint: {exc.hint}"
    raise AssertionError("the bad example of the reference parsed without error")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading of this text: raw HTML (`<name>`) dropped, as its
    sanitizer does, then lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]*>", "", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


if __name__ == "__main__":
    print(render_reference(), end="")
