"""Job statuses back to per-row outcomes, on literal batches and job statuses."""

from __future__ import annotations

from typing import Any

import pytest

from zdsync.reverse_etl.plan import PlannedRow
from zdsync.reverse_etl.reconcile import RowOutcome, failed, reconcile
from zdsync.reverse_etl.rows import InputRow


def batch(*payloads: dict[str, Any]) -> list[PlannedRow]:
    return [PlannedRow(InputRow(n, {}), payload=p) for n, p in enumerate(payloads, start=1)]


ANN = {"external_id": "CRM-1", "email": "ann@example.com", "name": "Ann"}
BOB = {"email": "bob@example.com", "name": "Bob"}


def seen(outcomes: list[RowOutcome]) -> list[tuple[str, int | None, str | None, str | None]]:
    return [(o.action, o.zendesk_id, o.job_id, o.error) for o in outcomes]


def completed(*results: Any) -> dict[str, Any]:
    return {"id": "job-7", "status": "completed", "results": list(results)}


def test_a_result_without_a_success_flag_counts_by_its_status() -> None:
    outcomes = reconcile(
        batch(ANN, BOB),
        completed(
            {"index": 0, "id": 1, "status": "Created", "external_id": "crm-1"},
            {"index": 1, "id": 2, "status": "updated", "email": "BOB@example.com"},
        ),
    )

    assert seen(outcomes) == [("created", 1, "job-7", None), ("updated", 2, "job-7", None)]


def test_a_row_zendesk_refused_keeps_its_user_id_and_job() -> None:
    outcomes = reconcile(
        batch(ANN, BOB, BOB, BOB),
        completed(
            {"index": 0, "id": 5, "status": "Failed", "success": False, "error": "DuplicateValue"},
            {"index": 1, "id": 6, "status": "Updated", "success": False, "details": "Name: short"},
            {"index": 2, "status": "Skipped"},
            {"index": 3, "status": "Created", "success": False},
        ),
    )

    assert seen(outcomes) == [
        ("failed", 5, "job-7", "DuplicateValue"),
        ("failed", 6, "job-7", "Name: short"),
        ("failed", None, "job-7", "status skipped"),
        ("failed", None, "job-7", "status created"),
    ]


def test_a_result_for_another_user_fails_the_row_it_landed_on() -> None:
    rows = batch(ANN, ANN)
    outcomes = reconcile(
        rows,
        completed(
            {"index": 0, "id": 8, "status": "Created", "external_id": "CRM-2"},
            {"index": 1, "id": 9, "status": "Updated", "email": "eve@example.com"},
        ),
    )

    assert seen(outcomes) == [
        (
            "failed",
            8,
            "job-7",
            "job result external_id 'CRM-2' does not match the row sent ('CRM-1')",
        ),
        (
            "failed",
            9,
            "job-7",
            "job result email 'eve@example.com' does not match the row sent ('ann@example.com')",
        ),
    ]
    assert [o.item for o in outcomes] == rows


def test_rows_the_job_has_no_usable_result_for_fail_with_the_job_id() -> None:
    no_result = "the job returned no result for this row"

    rows = batch(ANN, BOB)
    listed = reconcile(rows, completed("not a result", {"index": 1, "status": "Created"}))
    empty = reconcile(batch(ANN), {"id": "job-8", "status": "completed", "results": None})

    assert seen(listed) == [("failed", None, "job-7", no_result), ("created", None, "job-7", None)]
    assert seen(empty) == [("failed", None, "job-8", no_result)]
    assert [o.item for o in listed] == rows


@pytest.mark.parametrize(
    ("tries", "suffix"), [(1, ""), (2, " (each of 2 tries)"), (5, " (each of 5 tries)")]
)
def test_a_job_that_ran_no_row_fails_them_all_with_its_id(tries: int, suffix: str) -> None:
    job = {"id": "job-9", "status": "failed", "message": "Internal error", "results": []}

    outcomes = reconcile(batch(ANN, BOB), job, tries)

    assert seen(outcomes) == [("failed", None, "job-9", f"job failed: Internal error{suffix}")] * 2


def test_a_batch_that_was_never_sent_fails_every_row_with_the_reason() -> None:
    rows = batch(ANN, BOB)

    outcomes = failed(rows, "not sent: 400 Bad Request")

    assert [o.item for o in outcomes] == rows
    assert seen(outcomes) == [("failed", None, None, "not sent: 400 Bad Request")] * 2


@pytest.mark.parametrize("result", [{"index": 0, "id": 3}, {"index": 0, "id": 3, "status": None}])
def test_a_result_with_no_status_fails_its_row_and_says_so(result: dict[str, Any]) -> None:
    outcomes = reconcile(batch(BOB), completed(result))

    assert seen(outcomes) == [("failed", 3, "job-7", "the job result for this row has no status")]
