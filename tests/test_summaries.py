"""Run summaries as the rows the CLI prints and the flows publish."""

from __future__ import annotations

from pipelines.zendesk import ExtractSummary, ResourceSummary
from zdsync.reverse_etl.ledger import RunTotals
from zdsync.reverse_etl.push import PushSummary
from zdsync.summaries import extract_rows, model_rows, push_row
from zdsync.transform import ModelRun


def test_extract_rows_end_with_the_total() -> None:
    summary = ExtractSummary(
        resources=[
            ResourceSummary("users", new_rows=5, updated_rows=2, requests=3, seconds=1.26),
            ResourceSummary("tickets", new_rows=40, requests=9, rate_limited=1, seconds=4.04),
        ],
        requests=12,
        rate_limited=1,
        seconds=4.31,
    )

    assert extract_rows(summary) == [
        {"resource": "users", "new": 5, "updated": 2, "requests": 3, "429s": 0, "seconds": 1.3},
        {"resource": "tickets", "new": 40, "updated": 0, "requests": 9, "429s": 1, "seconds": 4.0},
        {"resource": "total", "new": 45, "updated": 2, "requests": 12, "429s": 1, "seconds": 4.3},
    ]


def test_a_push_is_one_row_of_outcomes_then_requests() -> None:
    totals = RunTotals(
        rows=10,
        created=4,
        updated=3,
        unchanged=1,
        failed=1,
        invalid=1,
        post_requests=2,
        jobs=2,
        too_many_jobs=1,
        rate_limited=2,
        server_errors=3,
        failed_jobs=0,
        seconds=7.26,
    )
    summary = PushSummary("run-1", totals, plan={}, invalid=[(3, "bad email")], dry_run=False)

    assert list(push_row(summary).items()) == [
        ("rows", 10),
        ("created", 4),
        ("updated", 3),
        ("unchanged", 1),
        ("failed", 1),
        ("invalid", 1),
        ("write requests", 2),
        ("jobs", 2),
        ("jobs failed as a whole", 0),
        ("TooManyJobs", 1),
        ("429s", 2),
        ("5xx", 3),
        ("seconds", 7.3),
    ]


def test_model_rows_keep_the_order_the_models_ran() -> None:
    runs = [
        ModelRun("01_schema", 0.014),
        ModelRun("10_stg_tickets", 1.237),
        ModelRun("20_ticket_metrics", 0.0, "needs zendesk.ticket_comments (not loaded yet)"),
    ]

    assert model_rows(runs) == [
        {"model": "01_schema", "seconds": 0.01, "skipped": ""},
        {"model": "10_stg_tickets", "seconds": 1.24, "skipped": ""},
        {
            "model": "20_ticket_metrics",
            "seconds": 0.0,
            "skipped": "needs zendesk.ticket_comments (not loaded yet)",
        },
    ]
