"""A throwaway PostgreSQL server for the tests: its own data directory, port and password.

The server refuses to run as root, so as root its files belong to the ``postgres`` user and its
commands run as that user; as anyone else they run directly.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extras

# Debian keeps each major version's server binaries apart from PATH.
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"


@dataclass(frozen=True)
class PostgresServer:
    """A running server: connect as ``user`` with ``password`` on 127.0.0.1:``port``."""

    port: int
    user: str
    password: str
    database: str = "postgres"

    def url(self, database: str | None = None) -> str:
        """The server's connection URL, password included: keep it out of logs."""
        name = database or self.database
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{name}"


def binaries() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``, the newest version first."""
    versions = sorted(
        (path for path in DEBIAN_BINARIES.glob("*/bin") if (path / "initdb").exists()),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("no PostgreSQL server (initdb) found: `make postgres` installs it as root")


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a server in a temporary directory; stop it and delete its files on exit."""
    bin_dir = binaries()
    as_root = os.geteuid() == 0
    password = os.urandom(12).hex()
    with tempfile.TemporaryDirectory(prefix="zdsync-pg-") as tmp:
        home = Path(tmp)
        data = home / "data"
        password_file = home / "password"
        password_file.write_text(password)
        if as_root:
            home.chmod(0o755)
            shutil.chown(home, SERVER_USER, SERVER_USER)
            shutil.chown(password_file, SERVER_USER, SERVER_USER)
        user = SERVER_USER if as_root else "zdsync"
        _run(
            as_root,
            bin_dir / "initdb",
            "-D",
            str(data),
            "-U",
            user,
            "--auth=scram-sha-256",
            f"--pwfile={password_file}",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        port = _free_port()
        options = (
            f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC"
        )
        log = home / "server.log"
        _run(
            as_root,
            bin_dir / "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "start",
        )
        try:
            yield PostgresServer(port=port, user=user, password=password)
        finally:
            _run(as_root, bin_dir / "pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")


def _run(as_root: bool, program: Path, *args: str) -> None:
    command = [str(program), *args]
    if as_root:
        command = ["runuser", "-u", SERVER_USER, "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """A new database beside the one ``server_url`` names, empty or a copy of ``template``."""
    copy = f' TEMPLATE "{template}"' if template else ""
    with closing(psycopg2.connect(server_url)) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"{copy}')
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


def query(url: str, sql: str, time_zone: str = "UTC") -> list[dict[str, Any]]:
    """Rows as dicts, committed; JSON values stay JSON text, as DuckDB returns them."""
    with closing(psycopg2.connect(url)) as connection:
        psycopg2.extras.register_default_jsonb(connection, loads=lambda text: text)
        psycopg2.extras.register_default_json(connection, loads=lambda text: text)
        with connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute("SELECT set_config('TimeZone', %s, false)", [time_zone])
            cursor.execute(sql)
            found = [dict(row) for row in cursor.fetchall()]
        connection.commit()
        return found
