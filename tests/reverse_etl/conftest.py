"""Helpers for push tests: CRM files, runs against a sandbox, reading the sync log."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import settings_for
from zdsync.client import RateLimitSettings
from zdsync.records import records
from zdsync.reverse_etl.jobs import PollPolicy, Resubmit
from zdsync.reverse_etl.push import PushOptions, PushSummary, push_users
from zdsync.sandbox import Sandbox, SandboxConfig

COLUMNS = ["external_id", "email", "name", "phone", "role", "organization_id", "tags"]
FAST_POLL = PollPolicy(min_interval=0.02, max_interval=0.2)
FAST_RESUBMIT = Resubmit(tries=3, backoff_seconds=0.02)


@pytest.fixture
def crm_sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig(rate_limits="off", users=200, tickets=20, job_latency_seconds=0.1)
    with Sandbox(config).start() as running:
        yield running


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns = list(dict.fromkeys([*COLUMNS, *(k for r in rows for k in r)]))
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


def push(sandbox: Sandbox, tmp_path: Path, **options: Any) -> PushSummary:
    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False))
    options.setdefault("db", tmp_path / "sync.duckdb")
    options.setdefault("poll", FAST_POLL)
    options.setdefault("resubmit", FAST_RESUBMIT)
    return push_users(settings, PushOptions(**options))


def sync_log(db: Path, run_id: str | None = None) -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as con:
        where = "WHERE run_id = ?" if run_id else ""
        return records(
            con,
            f"SELECT * FROM reverse_etl.user_sync_log {where} ORDER BY row_number",  # noqa: S608
            [run_id] if run_id else [],
        )


def bulk_posts(sandbox: Sandbox) -> int:
    return sum(
        1
        for e in sandbox.app.request_log()
        if e["path"].startswith("/api/v2/users/create_or_update_many") and e["status"] == 200
    )
