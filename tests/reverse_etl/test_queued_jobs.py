"""A push killed after Zendesk queued its jobs and before it saw them done: the next push
writes those jobs' results down as the killed run's, and sends none of their rows again."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.reverse_etl.conftest import (
    crm_organizations,
    crm_rows,
    push,
    release_jobs,
    sync_log,
    wait_for_polling,
    write_csv,
)
from tests.reverse_etl.test_push_cli import ZDSYNC, env_for
from zdsync.sandbox import Sandbox, SandboxConfig

SLOW_JOBS = SandboxConfig(
    rate_limits="off", users=50, tickets=10, job_latency_seconds=3600, job_cap=4
)


def killed_after_the_first_jobs(sandbox: Sandbox, source: Path, db: Path, obj: str) -> None:
    """A push of ``obj`` killed once its first three jobs are queued and polled, still running."""
    process = subprocess.Popen(  # noqa: S603
        [ZDSYNC, "push", obj, "--input", str(source), "--db", str(db)],
        env=env_for(sandbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_polling(sandbox, 3)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        release_jobs(sandbox)


def queued_left(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM reverse_etl.queued_jobs").fetchall()[0][0])


@pytest.mark.parametrize("sandbox", [SLOW_JOBS], indirect=True)
def test_rows_of_jobs_queued_before_a_kill_are_written_down_and_not_sent_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "crm.csv", crm_rows(1000))
    db = tmp_path / "sync.duckdb"
    killed_after_the_first_jobs(sandbox, source, db, "users")
    first_jobs = list(sandbox.app.jobs.jobs)
    assert len(first_jobs) == 3

    summary = push(sandbox, tmp_path, input=source)

    log = sync_log(db, summary.run_id)
    assert [r["row_number"] for r in log] == list(range(1, 1001))
    assert {r["action"] for r in log[:300]} == {"unchanged"}
    assert {r["action"] for r in log[300:]} == {"created"}
    assert len(sandbox.app.jobs.jobs) == 3 + 7
    killed = [r for r in sync_log(db) if r["run_id"] != summary.run_id]
    assert [r["row_number"] for r in killed] == list(range(1, 301))
    assert {r["action"] for r in killed} == {"created"}
    assert {r["job_id"] for r in killed} == set(first_jobs)
    assert queued_left(db) == 0


@pytest.mark.parametrize("sandbox", [SLOW_JOBS], indirect=True)
def test_organizations_created_by_a_killed_run_are_neither_created_nor_updated_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "orgs.csv", crm_organizations(600), ["external_id", "name"])
    db = tmp_path / "sync.duckdb"
    killed_after_the_first_jobs(sandbox, source, db, "organizations")

    summary = push(sandbox, tmp_path, "organizations", input=source)

    log = sync_log(db, summary.run_id, "organization")
    assert [r["action"] for r in log] == ["unchanged"] * 300 + ["created"] * 300
    assert len(sandbox.app.jobs.jobs) == 3 + 3
    names = [
        o["name"]
        for o in sandbox.store.organizations.records.values()
        if o["name"].startswith("CRM Company")
    ]
    assert sorted(names) == sorted(f"CRM Company {i}" for i in range(600))
    assert queued_left(db) == 0
