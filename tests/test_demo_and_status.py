"""``zdsync demo`` and ``zdsync status`` as a user runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import held_by_another_process

ROOT = Path(__file__).resolve().parents[1]
ZDSYNC = str(Path(sys.executable).parent / "zdsync")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "200"}
    return subprocess.run(  # noqa: S603
        [ZDSYNC, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_demo_runs_end_to_end_and_leaves_a_database_to_open(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"

    done = run("demo", "--db", str(db))

    assert done.returncode == 0, done.stderr[-2000:]
    for heading in ("Rows per table", "Tickets by channel", "GDPR deletions", "CRM push"):
        assert heading in done.stdout
    assert "superseded by row 296" in done.stdout
    assert str(db.resolve()) in done.stdout
    seconds = re.search(r"Demo finished in (\d+)s", done.stdout)
    assert seconds is not None
    with duckdb.connect(str(db), read_only=True) as con:
        pushed = con.execute("SELECT count(*) FROM reverse_etl.user_sync_log").fetchall()
        channels = con.execute("SELECT count(*) FROM analytics.ticket_volume_by_channel").fetchall()
    assert pushed == [(300,)]
    assert channels[0][0] > 0

    status = run("status", "--db", str(db))

    assert status.returncode == 0, status.stderr
    assert "cursor" in status.stdout
    assert "start_time" in status.stdout
    assert "Last pushes" in status.stdout


def test_status_without_a_database_is_one_line(tmp_path: Path) -> None:
    done = run("status", "--db", str(tmp_path / "none.duckdb"))

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"zdsync: error: no database at {tmp_path / 'none.duckdb'}: run zdsync extract first"
    ]


def test_status_of_a_database_held_by_a_writer_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "held.duckdb"
    with held_by_another_process(db):
        done = run("status", "--db", str(db))

    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"zdsync: error: cannot read {db}: ")
    assert "lock" in line
