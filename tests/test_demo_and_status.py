"""``zdsync demo`` and ``zdsync status`` as a user runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from tests.conftest import held_by_another_process
from tests.pipelines.conftest import printed_rows
from zdsync.demo import DEMO_SANDBOX
from zdsync.sandbox.store import Store

ROOT = Path(__file__).resolve().parents[1]
ZDSYNC = str(Path(sys.executable).parent / "zdsync")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Prefect's temporary server gets 20 s to start, too few on a busy machine.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "COLUMNS": "200",
    }
    return subprocess.run(  # noqa: S603
        [ZDSYNC, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _demo_truth() -> dict[str, Any]:
    """The demo sandbox's data: the same seed gives the same records."""
    return Store(DEMO_SANDBOX, "http://demo.invalid").snapshot()


def _deletion_states(truth: dict[str, Any]) -> dict[str, int]:
    states: Counter[str] = Counter()
    for user_id in truth["deleted_users"]:
        statuses = truth["compliance_deletion_statuses"].get(user_id)
        if not statuses:
            states["not requested"] += 1
            continue
        started = {s["application"] for s in statuses if s["action"] == "started"}
        completed = {s["application"] for s in statuses if s["action"] == "complete"}
        states["complete" if started <= completed else "in progress"] += 1
    return dict(states)


def _number(cell: str) -> int:
    return int(cell.replace(",", ""))


def test_the_demo_runs_end_to_end_and_leaves_a_database_to_open(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    truth = _demo_truth()
    crm_rows = len((ROOT / "data" / "crm_users_sample.csv").read_text().splitlines()) - 1

    done = run("demo", "--db", str(db))

    assert done.returncode == 0, done.stderr[-2000:]
    for heading in ("Rows per table", "Tickets by channel", "GDPR deletions", "CRM push"):
        assert heading in done.stdout
    assert "superseded by row 296" in done.stdout
    assert str(db.resolve()) in done.stdout
    html = tmp_path / "demo-report.html"
    assert done.stdout.splitlines()[-1] == f"The report, charts of the models: {html.resolve()}"
    assert "<h2>Sync health: each extract and push run</h2>" in html.read_text()
    seconds = re.search(r"Demo finished in (\d+)s", done.stdout)
    assert seconds is not None
    printed = printed_rows(done.stdout)
    states = _deletion_states(truth)
    assert {state: _number(printed[state][0]) for state in states} == states
    with duckdb.connect(str(db), read_only=True) as con:
        actions = dict(
            con.execute(
                "SELECT action, count(*) FROM reverse_etl.user_sync_log GROUP BY 1"
            ).fetchall()
        )
        channels = con.execute("SELECT count(*) FROM analytics.ticket_volume_by_channel").fetchall()
    assert sum(actions.values()) == crm_rows
    assert channels[0][0] > 0

    status = run("status", "--db", str(db))

    assert status.returncode == 0, status.stderr
    resources = printed_rows(status.stdout)
    statuses = sum(len(s) for s in truth["compliance_deletion_statuses"].values())
    expected_rows = {
        "users": len(truth["users"]),
        "tickets": len(truth["tickets"]),
        "organizations": len(truth["organizations"]),
        "deleted_users": len(truth["deleted_users"]),
        "compliance_deletion_statuses": statuses,
    }
    assert {name: _number(resources[name][1]) for name in expected_rows} == expected_rows
    assert resources["tickets"][0].startswith("cursor ")
    assert resources["users"][0].startswith("cursor ")
    assert resources["organizations"][0].startswith("start_time ")
    assert resources["compliance_deletion_statuses"][0] == f"{states['complete']} users complete"
    assert "Last pushes" in status.stdout
    (push,) = [cells for cells in resources.values() if len(cells) == 7]
    assert [_number(cell) for cell in push[1:]] == [
        crm_rows,
        *(actions.get(a, 0) for a in ("created", "updated", "unchanged", "failed", "invalid")),
    ]


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


def test_a_demo_database_named_like_a_schema_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    db = tmp_path / "zendesk.duckdb"

    done = run("demo", "--db", str(db))

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "zdsync: error: Invalid value for '--db': choose another name than zendesk.duckdb"
    ]
    assert not db.exists()
