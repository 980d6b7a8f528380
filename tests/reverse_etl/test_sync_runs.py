"""``reverse_etl.sync_runs`` against the sandbox's own record of the run, under faults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import settings_for
from tests.reverse_etl.conftest import (
    FAST_POLL,
    FAST_RESUBMIT,
    clock_moved_when,
    crm_rows,
    fill_job_slots,
    push,
    write_csv,
)
from zdsync.client import RateLimitSettings, RetrySettings
from zdsync.records import records
from zdsync.reverse_etl.push import PushOptions, push_users
from zdsync.sandbox import Fault, Sandbox, SandboxConfig

BULK = "/api/v2/users/create_or_update_many"
# Retry-After is obeyed up to a twentieth of a second, so a TooManyJobs is asked again quickly
# until the other tool's jobs are moved past their end; enough tries for a slow machine.
PATIENT = RetrySettings(
    max_attempts=400,
    backoff_base_seconds=0.01,
    backoff_cap_seconds=0.05,
    retry_after_default_seconds=0.05,
    retry_after_cap_seconds=0.05,
)
# The run's timestamps come from the wall clock, its length from the monotonic clock; they may
# drift apart by a few parts per million while it runs.
CLOCK_DRIFT = 0.05


def run_row(db: Path, run_id: str) -> dict[str, Any]:
    with duckdb.connect(str(db), read_only=True) as con:
        (row,) = records(con, "SELECT * FROM reverse_etl.sync_runs WHERE run_id = ?", [run_id])
    return row


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", users=50, tickets=10, job_cap=3, job_latency_seconds=0.05)],
    indirect=True,
)
def test_every_counter_and_the_duration_match_the_sandbox(sandbox: Sandbox, tmp_path: Path) -> None:
    fill_job_slots(sandbox, 2, latency=3600)
    sandbox.app.jobs.fail_next_jobs(1)
    faults = sandbox.app.faults
    faults.queue(Fault("429", 0), path_prefix=BULK, times=2)
    faults.queue(Fault("503", 0), path_prefix="/api/v2/job_statuses", times=2)
    faults.queue(Fault("500"), path_prefix="/api/v2/job_statuses", times=1)
    before = len(sandbox.app.request_log())
    jobs_before = set(sandbox.app.jobs.jobs)
    db = tmp_path / "sync.duckdb"
    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False), retry=PATIENT)
    options = PushOptions(
        input=write_csv(tmp_path / "crm.csv", crm_rows(500)),
        db=db,
        poll=FAST_POLL,
        resubmit=FAST_RESUBMIT,
    )

    with clock_moved_when(sandbox, lambda jobs: jobs.too_many_jobs >= 2, 3600) as moved:
        summary = push_users(settings, options)

    assert moved.is_set()
    row = run_row(db, summary.run_id)
    seen = sandbox.app.request_log()[before:]
    jobs = [job for job_id, job in sandbox.app.jobs.jobs.items() if job_id not in jobs_before]
    too_many_jobs = sandbox.app.jobs.too_many_jobs
    assert too_many_jobs >= 2
    assert row["created"] == 500
    assert row["requests"] == len(seen)
    assert row["post_requests"] == len([e for e in seen if e["path"] == BULK])
    assert row["jobs"] == len(jobs) == 6
    assert row["jobs"] == len([e for e in seen if e["path"] == BULK and e["status"] == 200])
    assert row["failed_jobs"] == len([job for job in jobs if job.status == "failed"]) == 1
    assert row["too_many_jobs"] == too_many_jobs
    assert row["rate_limited"] == len([e for e in seen if e["status"] == 429]) - too_many_jobs
    assert row["rate_limited"] == 2
    assert row["server_errors"] == len([e for e in seen if e["status"] >= 500]) == 3
    duration = (row["finished_at"] - row["started_at"]).total_seconds()
    assert row["seconds"] == pytest.approx(duration, abs=1e-3)
    assert row["started_at"].timestamp() - CLOCK_DRIFT <= seen[0]["at"]
    assert seen[-1]["at"] <= row["finished_at"].timestamp() + CLOCK_DRIFT
    assert row["seconds"] >= seen[-1]["at"] - seen[0]["at"] - CLOCK_DRIFT
    totals = summary.totals
    assert {k: row[k] for k in vars(totals)} == {
        **vars(totals),
        "seconds": pytest.approx(totals.seconds),
    }


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(bulk_imports_enabled=False, time_scale=60, users=50, tickets=10)],
    indirect=True,
)
def test_single_writes_are_the_post_requests_of_a_single_run(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "sync.duckdb"
    options = PushOptions(input=write_csv(tmp_path / "crm.csv", crm_rows(4)), db=db, single=True)

    summary = push_users(settings_for(sandbox), options)

    row = run_row(db, summary.run_id)
    seen = sandbox.app.request_log()
    assert row["requests"] == len(seen)
    assert row["post_requests"] == len(
        [e for e in seen if e["path"] == "/api/v2/users/create_or_update"]
    )
    assert row["post_requests"] == 4
    assert (row["jobs"], row["too_many_jobs"], row["rate_limited"]) == (0, 0, 0)


def test_a_ledger_from_before_the_new_counters_gains_them(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "sync.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE SCHEMA reverse_etl; CREATE TABLE reverse_etl.sync_runs (run_id VARCHAR "
            "PRIMARY KEY, started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ, mode VARCHAR "
            "NOT NULL, source VARCHAR NOT NULL, rows INTEGER, created INTEGER, updated INTEGER, "
            "unchanged INTEGER, failed INTEGER, invalid INTEGER, requests INTEGER, "
            "post_requests INTEGER, jobs INTEGER, too_many_jobs INTEGER, rate_limited INTEGER, "
            "seconds DOUBLE)"
        )
        con.execute(
            "INSERT INTO reverse_etl.sync_runs (run_id, started_at, mode, source, seconds) "
            "VALUES ('old', now(), 'upsert', 'crm.csv', 0.0)"
        )
    crm_sandbox.app.faults.queue(Fault("503", 0), path_prefix="/api/v2/job_statuses")

    summary = push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", crm_rows(3)))

    row = run_row(db, summary.run_id)
    assert (row["created"], row["server_errors"], row["failed_jobs"]) == (3, 1, 0)
    assert run_row(db, "old")["server_errors"] is None
