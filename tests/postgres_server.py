"""A real PostgreSQL server for tests, from the binaries Debian's `postgresql` package
installs (/usr/lib/postgresql/*/bin; `.ci/run` installs it).

One server per test session, on a free loopback port, in a fresh data dir under /tmp,
with fsync off (a test database need not survive a power cut). PostgreSQL refuses to run
as root: as root the server runs as the `postgres` user (`runuser`), which owns its data
dir. Each test gets a database of its own (`PostgresServer.new_database`), dropped at the
end. Where no server can start (no binaries, no `postgres` user, initdb failing), the
fixtures skip with the reason, so a PostgreSQL test is never silently passed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "zeroclaw"


class PostgresUnavailable(Exception):
    """Why no PostgreSQL server could start here."""


@dataclass
class PostgresServer:
    bin_dir: Path
    data_dir: Path
    port: int
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def url_of(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                "psql",
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                self.url_of(database),
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def new_database(self) -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        self.psql(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with contextlib.suppress(RuntimeError):
            self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run(self.run_as, [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args])


def start_postgres() -> PostgresServer:
    """Start a throwaway server, or raise PostgresUnavailable saying why."""
    bin_dir = _bin_dir()
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable("running as root and there is no postgres user") from None
        run_as = "postgres"
    if shutil.which("psql") is None:
        raise PostgresUnavailable("psql (postgresql-client) is not installed")
    base = Path(tempfile.mkdtemp(prefix="zeroclaw-pg-"))
    base.chmod(0o755)
    data_dir = base / "data"
    if run_as is not None:
        shutil.chown(base, user=run_as)
    init = _run(
        run_as,
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
    )
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    server = PostgresServer(bin_dir, data_dir, port, run_as)
    started = server._ctl("start", "-w", "-t", "60", "-l", str(base / "log"), "-o", options)
    if started.returncode != 0:
        log = (base / "log").read_text(errors="replace")[-500:] if (base / "log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(f"pg_ctl start failed: {started.stderr.strip()} {log}")
    return server


def _bin_dir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4])
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path is not None:
        return Path(on_path).resolve().parent
    raise PostgresUnavailable(
        "PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)"
    )


def _run(run_as: str | None, argv: list[str]) -> subprocess.CompletedProcess[str]:
    if run_as is not None:
        argv = ["runuser", "-u", run_as, "--", *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, cwd="/")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
