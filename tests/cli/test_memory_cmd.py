"""`zeroclaw memory migrate | export | import` through the real CLI app, on a real SQLite
file and a real PostgreSQL server: a store moved SQLite -> PostgreSQL -> SQLite keeps
every row; bad files and unreachable servers are one clear error, and change nothing."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from typer.testing import CliRunner, Result

from zeroclaw.cli import app
from zeroclaw.memory import HookStepRecord, MemoryStore, ToolProvenance, location_of
from zeroclaw.memory.fleet.approvals import DecisionRow, decision_rows
from zeroclaw.memory.tables import (
    PROVENANCE_COLUMNS,
    paired_tokens,
    plugin_approvals,
    rate_limits,
    replicas,
)
from zeroclaw.messages import ChatMessage, ToolCall, ToolResult
from zeroclaw.plugins.contract.permissions import ApprovalStore, Refusal


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def flat(text: str) -> str:
    return " ".join(text.split())


def fill(path: Path) -> None:
    """A store with something in every table: users, every message kind, a compaction,
    tool results, summaries and memories, in more than one language."""
    with MemoryStore.open(path) as store:
        do = store.blocking
        do(store.ensure_session("alice-1", channel="gateway", user_id="alice"))
        do(store.ensure_session("anon", channel="terminal"))
        call = ToolCall("c1", "file_read", {"path": "notes/é.txt", "deep": {"x": [1, 2]}})
        ids = [
            do(store.append_message("alice-1", message))
            for message in (
                ChatMessage("system", "be brief"),
                ChatMessage("user", "read my notes ✓"),
                ChatMessage("assistant", "", tool_calls=(call,)),
                ChatMessage("tool", "line 1", tool_call_id="c1", name="file_read"),
                ChatMessage("assistant", "Your notes say: line 1"),
            )
        ]
        do(store.record_tool_result("alice-1", call, ToolResult.ok("line 1"), PROVENANCE))
        do(store.record_tool_result("alice-1", call, ToolResult.fail("denied")))
        do(store.compact("alice-1", "alice read her notes", upto_message_id=ids[2]))
        do(store.add_summary("anon", "someone asked about Lisbon", kind="session"))
        do(store.append_messages("anon", [ChatMessage("user", f"m{n}") for n in range(50)]))
        do(store.remember("city", "Lives in Montréal"))
        do(store.remember("pet", "a dog named Rex", namespace="plugin:notes"))
        do(store.forget("pet", namespace="plugin:notes"))
        do(store.remember("pet", "a cat named Mia", namespace="plugin:notes"))
        do(store.database.write(_fleet_rows))


async def _fleet_rows(conn: AsyncConnection) -> None:
    """What replicas share: two durable tables (exported) and two short-lived (not)."""
    now = "2026-01-02T03:04:05+00:00"
    await conn.execute(
        sa.insert(paired_tokens).values(digest="sha256:ab12", paired_by="web-1", created_at=now)
    )
    await conn.execute(
        sa.insert(plugin_approvals),
        [
            {
                "plugin": "notes",
                "grant_hash": digest,
                "grants": grants,
                "approved_at": now,
                "decision": decision,
                "decided_by": by,
            }
            for digest, grants, decision, by in (
                ("h1", '["kv"]', "approved", None),
                ("h2", '["kv", "log"]', "approved", None),
                ("h3", '["net"]', "refused", "cli:ops"),
            )
        ],
    )
    await conn.execute(sa.insert(rate_limits).values(key="token:x", tat=1.5))
    await conn.execute(
        sa.insert(replicas).values(
            id="web-1-1",
            address="http://10.0.0.1:8080",
            generation=1,
            snapshot_hash="sha256:00",
            started_at=now,
            heartbeat_at=now,
        )
    )


PROVENANCE = ToolProvenance(
    owner_kind="plugin",
    owner_name="notes-é",
    owner_version="1.2.0",
    approval="auto",
    hooks=(
        HookStepRecord("before_tool_call", "guard", "native", "passed"),
        HookStepRecord(
            "tool_result_persist", "redact", "plugin:redact", "modified", fields=("result",)
        ),
    ),
    duration_ms=12.345,
)


def rows_of(export: Path) -> list[str]:
    """The rows of an export file, without its header line."""
    return export.read_text(encoding="utf-8").splitlines()[1:]


def test_a_store_moved_sqlite_postgres_sqlite_keeps_every_row(
    tmp_path: Path, postgres_url: str
) -> None:
    first = tmp_path / "first.db"
    fill(first)

    steps = [
        ("export", "-o", str(tmp_path / "1.jsonl"), "--db", str(first)),
        ("import", str(tmp_path / "1.jsonl"), "--db", postgres_url),
        ("export", "-o", str(tmp_path / "2.jsonl"), "--db", postgres_url),
        ("import", str(tmp_path / "2.jsonl"), "--db", str(tmp_path / "back.db")),
        ("export", "-o", str(tmp_path / "3.jsonl"), "--db", str(tmp_path / "back.db")),
    ]
    for step in steps:
        result = run("memory", *step)
        assert result.exit_code == 0, result.output

    exported = [rows_of(tmp_path / f"{n}.jsonl") for n in (1, 2, 3)]
    assert exported[0] == exported[1] == exported[2]
    tables = [json.loads(line)["table"] for line in exported[0]]
    assert {name: tables.count(name) for name in dict.fromkeys(tables)} == {
        "sessions": 2,
        "messages": 55,
        "tool_results": 2,
        "summaries": 2,
        "memories": 2,
        "paired_tokens": 1,
        "plugin_approvals": 3,
    }
    # What was moved works as a store: recall finds it, new rows get new ids.
    for where in (postgres_url, str(tmp_path / "back.db")):
        with MemoryStore.open(location_of(where)) as store:
            assert [m.key for m in store.blocking(store.recall("MONTREAL", limit=5))] == ["city"]
            found = store.blocking(store.recall_summaries("Lisbon", user_id=None, limit=5))
            assert [s.session_id for s in found] == ["anon"]
            calls = store.blocking(store.session_tool_calls("alice-1"))
            # provenance travels; the row stored without one stays "not recorded"
            assert [c.provenance for c in calls] == [PROVENANCE, None]
            history = store.blocking(store.load_history("alice-1", 10))
            assert [s.message.content for s in history] == ["line 1", "Your notes say: line 1"]
            new_id = store.blocking(store.append_message("anon", ChatMessage("user", "new")))
            assert new_id > max(s.id for s in store.blocking(store.session_messages("alice-1")))
            # Paired tokens and decisions went along, through the fleet's own readers.
            assert _decisions(store, "notes") == {
                "h1": "approved",
                "h2": "approved",
                "h3": "refused",
            }
            assert store.blocking(store.database.read(_short_lived)) == (0, 0)


def _decisions(store: MemoryStore, plugin: str) -> dict[str, str]:
    return {r.grant_hash: r.decision for r in store.blocking(decision_rows(store.database, plugin))}


def _rows_by_hash(store: MemoryStore, plugin: str) -> dict[str, DecisionRow]:
    return {r.grant_hash: r for r in store.blocking(decision_rows(store.database, plugin))}


async def _short_lived(conn: AsyncConnection) -> tuple[int, int]:
    count = sa.select(sa.func.count())
    return (
        int(await conn.scalar(count.select_from(rate_limits)) or 0),
        int(await conn.scalar(count.select_from(replicas)) or 0),
    )


def test_imported_approvals_merge_with_those_the_target_has(
    tmp_path: Path, postgres_url: str
) -> None:
    source = tmp_path / "source.db"
    fill(source)
    with MemoryStore.open(location_of(postgres_url)) as store:
        # Approved on the new database before the import: the same set, an older date.
        store.blocking(
            store.database.write(
                lambda conn: conn.execute(
                    sa.insert(plugin_approvals).values(
                        plugin="notes", grant_hash="h1", grants='["kv"]', approved_at="then"
                    )
                )
            )
        )
    exported = run("memory", "export", "-o", str(tmp_path / "m.jsonl"), "--db", str(source))
    imported = run("memory", "import", str(tmp_path / "m.jsonl"), "--db", postgres_url)
    assert exported.exit_code == 0, exported.output
    assert imported.exit_code == 0, imported.output
    with MemoryStore.open(location_of(postgres_url)) as store:
        rows = _rows_by_hash(store, "notes")
    assert set(rows) == {"h1", "h2", "h3"}
    assert rows["h1"].decided_at == "then"


def test_an_export_of_an_older_schema_imports_with_the_new_columns_empty(
    tmp_path: Path, postgres_url: str
) -> None:
    source = tmp_path / "source.db"
    fill(source)
    run("memory", "export", "-o", str(tmp_path / "m.jsonl"), "--db", str(source))
    lines = (tmp_path / "m.jsonl").read_text(encoding="utf-8").splitlines()
    older = [json.dumps({"zeroclaw_memory": 1, "schema": "0004"})]
    for line in lines[1:]:
        item = json.loads(line)
        # The columns of revisions 0005 (provenance, decisions) and 0006 (open turns).
        for column in (*PROVENANCE_COLUMNS, "decision", "decided_by", "open_turn"):
            item["row"].pop(column, None)
        older.append(json.dumps(item, ensure_ascii=False))
    (tmp_path / "old.jsonl").write_text("\n".join(older) + "\n", encoding="utf-8")
    imported = run("memory", "import", str(tmp_path / "old.jsonl"), "--db", postgres_url)
    assert imported.exit_code == 0, imported.output
    with MemoryStore.open(location_of(postgres_url)) as store:
        assert store.blocking(store.open_turn_of("alice-1")) is None
        assert len(store.blocking(store.session_messages("anon"))) == 50
        # Before refusals every row was an approval.
        assert set(_decisions(store, "notes").values()) == {"approved"}


def test_an_export_from_before_provenance_imports_as_not_recorded(tmp_path: Path) -> None:
    """A file written at revision 0004 has no provenance columns: its tool results import
    with none ("not recorded"), not refused."""
    source = tmp_path / "source.db"
    fill(source)
    export = tmp_path / "x.jsonl"
    assert run("memory", "export", "-o", str(export), "--db", str(source)).exit_code == 0
    old = [json.dumps({"zeroclaw_memory": 1, "schema": "0004"})]
    for line in rows_of(export):
        item = json.loads(line)
        if item["table"] == "tool_results":
            for column in PROVENANCE_COLUMNS:
                del item["row"][column]
        old.append(json.dumps(item, ensure_ascii=False))
    export.write_text("\n".join(old) + "\n", encoding="utf-8")

    result = run("memory", "import", str(export), "--db", str(tmp_path / "t.db"))

    assert result.exit_code == 0, result.output
    with MemoryStore.open(tmp_path / "t.db") as store:
        calls = store.blocking(store.session_tool_calls("alice-1"))
    assert [(c.output, c.provenance) for c in calls] == [("line 1", None), ("", None)]


def test_import_into_a_store_that_holds_data_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    source, target = tmp_path / "source.db", tmp_path / "target.db"
    fill(source)
    with MemoryStore.open(target) as store:
        store.blocking(store.remember("mine", "keep me"))
    assert (
        run("memory", "export", "-o", str(tmp_path / "x.jsonl"), "--db", str(source)).exit_code == 0
    )

    result = run("memory", "import", str(tmp_path / "x.jsonl"), "--db", str(target))

    assert result.exit_code == 1
    assert "already holds memories: an import goes into an empty store" in flat(result.output)
    assert "Traceback" not in result.output
    with MemoryStore.open(target) as store:
        assert [m.key for m in store.blocking(store.recall("", limit=10))] == ["mine"]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("", "the import file is empty"),
        (
            '{"zeroclaw_memory": 1, "schema": "0002"}\nnot json\n',
            "line 2 of the import file: not JSON",
        ),
        ('{"rows": []}\n', "line 1 of the import file: not the header"),
        (
            '{"zeroclaw_memory": 1, "schema": "0002"}\n{"table": "secrets", "row": {}}\n',
            "line 2 of the import file: unknown table 'secrets'",
        ),
        (
            '{"zeroclaw_memory": 1, "schema": "9999"}\n',
            "schema revision '9999', newer than this ZeroClaw's",
        ),
    ],
)
def test_a_bad_import_file_is_one_clear_error_and_imports_nothing(
    tmp_path: Path, content: str, why: str
) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text(content, encoding="utf-8")
    target = tmp_path / "target.db"

    result = run("memory", "import", str(source), "--db", str(target))

    assert result.exit_code == 1
    assert why in flat(result.output)
    assert "Traceback" not in result.output
    with MemoryStore.open(target) as store:
        assert store.blocking(store.list_sessions()) == []


def test_a_half_valid_file_imports_nothing(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    fill(source)
    export = tmp_path / "x.jsonl"
    assert run("memory", "export", "-o", str(export), "--db", str(source)).exit_code == 0
    lines = export.read_text(encoding="utf-8").splitlines()
    export.write_text("\n".join([*lines[:-1], '{"table": "memories", "row": {"id": 1}}']) + "\n")

    result = run("memory", "import", str(export), "--db", str(tmp_path / "t.db"))

    assert result.exit_code == 1
    assert f"line {len(lines)} of the import file" in flat(result.output)
    with MemoryStore.open(tmp_path / "t.db") as store:
        assert store.blocking(store.list_sessions()) == []


def test_migrate_names_the_database_and_its_revision(tmp_path: Path, postgres_url: str) -> None:
    on_file = run("memory", "migrate", "--db", str(tmp_path / "m.db"))
    on_server = run("memory", "migrate", "--db", postgres_url)

    assert on_file.exit_code == 0, on_file.output
    assert f"{tmp_path / 'm.db'}: at schema revision" in on_file.stdout
    assert on_server.exit_code == 0, on_server.output
    assert "postgresql://zeroclaw@127.0.0.1" in on_server.stdout


def test_an_unreachable_server_is_one_clear_error_with_the_password_masked() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    url = f"postgresql://zeroclaw:hunter2@127.0.0.1:{port}/zeroclaw"

    result = run("memory", "migrate", "--db", url)

    assert result.exit_code == 1
    output = flat(result.output)
    assert f"cannot open the memory database postgresql://zeroclaw:***@127.0.0.1:{port}" in output
    assert "check that PostgreSQL is running and reachable" in output
    assert "hunter2" not in result.output
    assert "Traceback" not in result.output


def test_the_config_chooses_the_database(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[memory]\nbackend = "postgres"\n', encoding="utf-8")
    monkeypatch.delenv("ZEROCLAW_DATABASE_URL", raising=False)

    missing = run("--config", str(config), "memory", "migrate")
    monkeypatch.setenv("ZEROCLAW_DATABASE_URL", postgres_url)
    from_env = run("--config", str(config), "memory", "migrate")

    assert missing.exit_code == 1
    assert 'memory.backend is "postgres", but there is no database URL' in flat(missing.output)
    assert "ZEROCLAW_DATABASE_URL" in flat(missing.output)
    assert from_env.exit_code == 0, from_env.output
    assert "postgresql://zeroclaw@127.0.0.1" in from_env.stdout


def test_every_documented_way_to_name_the_database_works_in_its_order(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """memory.url, then ZEROCLAW_DATABASE_URL in the environment, then in the .env file
    beside the config: each alone reaches the database, and each wins over the next."""
    config = tmp_path / "config.toml"
    env_file = tmp_path / ".env"
    nowhere = f"postgresql://zeroclaw:secret@127.0.0.1:{_closed_port()}/nowhere"
    monkeypatch.delenv("ZEROCLAW_DATABASE_URL", raising=False)

    def migrate(url_key: str | None, environment: str | None, dotenv: str | None) -> Result:
        key = f'url = "{url_key}"\n' if url_key else ""
        config.write_text(f'[memory]\nbackend = "postgres"\n{key}', encoding="utf-8")
        env_file.unlink(missing_ok=True)
        if dotenv is not None:
            env_file.write_text(f"# the secret one\nZEROCLAW_DATABASE_URL='{dotenv}'\n")
        if environment is None:
            monkeypatch.delenv("ZEROCLAW_DATABASE_URL", raising=False)
        else:
            monkeypatch.setenv("ZEROCLAW_DATABASE_URL", environment)
        return run("--config", str(config), "memory", "migrate")

    for ways in [
        (postgres_url, None, None),
        (None, postgres_url, None),
        (None, None, postgres_url),
        (postgres_url, nowhere, nowhere),
        (None, postgres_url, nowhere),
    ]:
        result = migrate(*ways)
        assert result.exit_code == 0, (ways, result.output)
        assert "postgresql://zeroclaw@127.0.0.1" in result.stdout

    # The .env file's URL is used, and named, when it is the one that fails.
    failed = migrate(None, None, nowhere)
    assert failed.exit_code == 1
    assert "secret" not in failed.output
    assert "/nowhere" in flat(failed.output)


def test_a_password_in_the_config_file_is_refused_without_showing_it(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[memory]\nbackend = "postgres"\nurl = "postgresql://zc:hunter2@db:5432/zc"\n',
        encoding="utf-8",
    )

    result = run("--config", str(config), "config", "validate")

    assert result.exit_code == 1
    output = flat(result.output)
    assert "`memory.url`: expected a URL without a password" in output
    assert "ZEROCLAW_DATABASE_URL" in output
    assert "hunter2" not in result.output


def test_a_url_beside_the_sqlite_backend_is_not_silently_ignored(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[memory]\nurl = "postgresql://zc@db:5432/zc"\n', encoding="utf-8")

    result = run("--config", str(config), "memory", "migrate")

    assert result.exit_code == 1
    assert 'memory.url is set, but memory.backend is "sqlite"' in flat(result.output)


def test_config_show_masks_the_database_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[memory]\nbackend = "postgres"\n', encoding="utf-8")
    monkeypatch.setenv("ZEROCLAW_DATABASE_URL", "postgresql://zc:hunter2@db:5432/zc")

    result = run("--config", str(config), "config", "show")

    assert result.exit_code == 0, result.output
    assert "# Memory database (ZEROCLAW_DATABASE_URL): postgresql://zc:***@db:5432/zc" in (
        result.stdout
    )
    assert "hunter2" not in result.stdout


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again: nothing listens there


def test_a_sqlite_deployment_s_approvals_file_moves_to_postgresql_and_back(
    tmp_path: Path, postgres_url: str
) -> None:
    """On SQLite, approvals live in DATA_DIR/plugins/approvals.json: exporting the config's
    own database carries them, and importing into one writes them to its file."""
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text('data_dir = "one"\n', encoding="utf-8")
    second.write_text('data_dir = "two"\n', encoding="utf-8")
    approved = ApprovalStore.for_data_dir(tmp_path / "one").approve("notes", ["kv", "log"])
    refused = ApprovalStore.for_data_dir(tmp_path / "one").refuse("notes", ["fs"], "cli:ops")
    fill(tmp_path / "one" / "zeroclaw.db")

    steps = [
        ("--config", str(first), "memory", "export", "-o", str(tmp_path / "1.jsonl")),
        ("memory", "import", str(tmp_path / "1.jsonl"), "--db", postgres_url),
        ("memory", "export", "-o", str(tmp_path / "2.jsonl"), "--db", postgres_url),
        ("--config", str(second), "memory", "import", str(tmp_path / "2.jsonl")),
    ]
    for step in steps:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)

    with MemoryStore.open(location_of(postgres_url)) as store:
        shared = _rows_by_hash(store, "notes")
    # fill() wrote h1, h2 (approved) and h3 (refused) in the table; the file's approval
    # and refusal joined them, each with its date and, for the refusal, who refused.
    assert shared[approved.grant_hash] == DecisionRow(
        approved.grant_hash, approved.grants, approved.approved_at, "approved", None
    )
    assert shared[refused.grant_hash] == DecisionRow(
        refused.grant_hash, refused.grants, refused.refused_at, "refused", "cli:ops"
    )
    moved = {a.grant_hash: a for a in ApprovalStore.for_data_dir(tmp_path / "two").all()}
    assert moved[approved.grant_hash] == approved
    assert moved[refused.grant_hash] == refused
    assert isinstance(moved["h3"], Refusal)
    assert set(moved) == {approved.grant_hash, refused.grant_hash, "h1", "h2", "h3"}
    # The refusals are refusals in the file too: approvals.json's "refusals" key.
    target = ApprovalStore.for_data_dir(tmp_path / "two")
    assert target.refusal("notes", ["fs"]) == refused
    assert not target.is_approved("notes", ["fs"])
