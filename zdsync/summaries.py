"""A run's outcome as rows of named values, the one shape its two readers share.

The CLI prints these rows with rich (``zdsync.reporting``); the flows publish the same rows as
Prefect table artifacts. Neither knows of the other: each column is named here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipelines.zendesk import ExtractSummary
from zdsync.reverse_etl.push import PushSummary
from zdsync.transform import ModelRun

Row = dict[str, Any]
# What became of each row a push read, in the order they are shown.
OUTCOMES = ("created", "updated", "unchanged", "failed", "invalid")


def extract_rows(summary: ExtractSummary) -> list[Row]:
    """One row per resource, then the total."""
    rows = [
        _extract_row(r.name, r.new_rows, r.updated_rows, r.requests, r.rate_limited, r.seconds)
        for r in summary.resources
    ]
    total = (summary.new_rows, summary.updated_rows, summary.requests, summary.rate_limited)
    return [*rows, _extract_row("total", *total, summary.seconds)]


def _extract_row(
    name: str, new: int, updated: int, requests: int, rate_limited: int, seconds: float
) -> Row:
    return {
        "resource": name,
        "new": new,
        "updated": updated,
        "requests": requests,
        "429s": rate_limited,
        "seconds": round(seconds, 1),
    }


def push_row(summary: PushSummary) -> Row:
    """What became of the rows, then what the push asked of Zendesk and how it answered."""
    t = summary.totals
    return {
        "rows": t.rows,
        **{outcome: getattr(t, outcome) for outcome in OUTCOMES},
        "write requests": t.post_requests,
        "jobs": t.jobs,
        "jobs failed as a whole": t.failed_jobs,
        "TooManyJobs": t.too_many_jobs,
        "429s": t.rate_limited,
        "5xx": t.server_errors,
        "seconds": round(t.seconds, 1),
    }


def model_rows(runs: Sequence[ModelRun]) -> list[Row]:
    """One row per SQL model, in the order they ran."""
    return [
        {"model": run.name, "seconds": round(run.seconds, 2), "skipped": run.skipped or ""}
        for run in runs
    ]
