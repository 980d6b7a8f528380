"""Helpers for push tests: CRM files, runs against a sandbox, reading the sync log."""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from tests.conftest import settings_for
from zdsync.client import RateLimitSettings
from zdsync.records import records
from zdsync.reverse_etl.jobs import PollPolicy, Resubmit
from zdsync.reverse_etl.push import PushOptions, PushSummary
from zdsync.reverse_etl.push import push as push_object
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.bulk import Jobs
from zdsync.sandbox.config import ADMIN_EMAIL, API_TOKEN

COLUMNS = ["external_id", "email", "name", "phone", "role", "organization_id", "tags"]
FAST_POLL = PollPolicy(min_interval=0.02, max_interval=0.2)
FAST_RESUBMIT = Resubmit(tries=3, backoff_seconds=0.02)


@pytest.fixture
def crm_sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig(rate_limits="off", users=200, tickets=20, job_latency_seconds=0.1)
    with Sandbox(config).start() as running:
        yield running


def write_csv(path: Path, rows: list[dict[str, Any]], leading: list[str] = COLUMNS) -> Path:
    columns = list(dict.fromkeys([*leading, *(k for r in rows for k in r)]))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def crm_rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"crm-new-{i}",
            "email": f"crm.new.{i}@example.net",
            "name": f"Customer {i}",
            "role": "end-user",
            "tags": "crm,imported",
            "user_fields.plan": "pro" if i % 2 else "free",
        }
        for i in range(start, start + count)
    ]


def crm_organizations(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"crm-org-{i}",
            "name": f"CRM Company {i}",
            "notes": f"account {i}",
            "tags": "crm,imported",
            "organization_fields.region": "emea" if i % 2 else "apac",
        }
        for i in range(start, start + count)
    ]


# Rows of each object a benchmark can push (``push(settings, name, options)``), and the column it
# changes for its second push.
BENCH_ROWS: dict[str, tuple[Callable[[int], list[dict[str, Any]]], str]] = {
    "users": (crm_rows, "name"),
    "organizations": (crm_organizations, "notes"),
}


def push(sandbox: Sandbox, tmp_path: Path, obj: str = "users", **options: Any) -> PushSummary:
    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False))
    options.setdefault("db", tmp_path / "sync.duckdb")
    options.setdefault("poll", FAST_POLL)
    options.setdefault("resubmit", FAST_RESUBMIT)
    return push_object(settings, obj, PushOptions(**options))


def sync_log(db: Path, run_id: str | None = None, noun: str = "user") -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as con:
        where = "WHERE run_id = ?" if run_id else ""
        return records(
            con,
            f"SELECT * FROM reverse_etl.{noun}_sync_log {where} ORDER BY row_number",  # noqa: S608
            [run_id] if run_id else [],
        )


def posts_to(sandbox: Sandbox, path: str) -> int:
    """Write requests Zendesk accepted on ``path``."""
    return sum(
        1
        for e in sandbox.app.request_log()
        if e["path"] == path and e["method"] in ("POST", "PUT") and e["status"] == 200
    )


@contextmanager
def clock_moved_when(
    sandbox: Sandbox, condition: Callable[[Jobs], bool], seconds: float
) -> Iterator[threading.Event]:
    """Move the sandbox's clock by ``seconds`` once ``condition`` holds of its jobs.

    A thread waits on the sandbox's job events, so no test depends on how fast this machine is;
    the event it returns is set once the clock has moved.
    """
    moved = threading.Event()

    def wait_then_move() -> None:
        if sandbox.app.jobs.wait_until(condition):
            sandbox.store.advance_clock(seconds)
            moved.set()

    thread = threading.Thread(target=wait_then_move, name="clock-mover", daemon=True)
    thread.start()
    try:
        yield moved
    finally:
        thread.join(timeout=0)


def wait_for_polling(sandbox: Sandbox, jobs: int) -> None:
    """Until ``jobs`` jobs exist and a poll came after the last: the push has sent what it may."""
    settled = sandbox.app.jobs.wait_until(
        lambda j: len(j.jobs) >= jobs and j.polls_since_last_job >= 1, timeout=30
    )
    assert settled, f"no poll after {jobs} jobs: {len(sandbox.app.jobs.jobs)} jobs so far"


def release_jobs(sandbox: Sandbox) -> None:
    """Let every job, queued or still to come, finish at once: a failed test must not hang.

    The jobs get a config of their own, so the one the test was parametrised with, which a
    later run of the same test in this process reuses, keeps its latency.
    """
    sandbox.app.jobs.config = replace(sandbox.app.jobs.config, job_latency_seconds=0)
    sandbox.store.advance_clock(10**6)


def fill_job_slots(sandbox: Sandbox, count: int, latency: float) -> None:
    """Another tool's jobs, each ``latency`` seconds long on the sandbox's clock."""
    usual, sandbox.app.config.job_latency_seconds = sandbox.app.config.job_latency_seconds, latency
    try:
        for i in range(count):
            answer = httpx.post(
                sandbox.base_url + "/api/v2/users/create_or_update_many",
                json={"users": [{"name": "Other", "email": f"other.tool.{i}@example.org"}]},
                auth=(f"{ADMIN_EMAIL}/token", API_TOKEN),
            )
            assert answer.status_code == 200
    finally:
        sandbox.app.config.job_latency_seconds = usual


def bulk_posts(sandbox: Sandbox) -> int:
    return sum(
        1
        for e in sandbox.app.request_log()
        if e["path"].startswith("/api/v2/users/create_or_update_many") and e["status"] == 200
    )
