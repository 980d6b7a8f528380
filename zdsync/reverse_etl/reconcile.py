"""Job results back to input rows: by index, checked against the identity each row sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zdsync.reverse_etl.plan import PlannedRow

STATUS_ACTIONS = {"created": "created", "updated": "updated"}


@dataclass(frozen=True)
class RowOutcome:
    """What happened to one sent row."""

    item: PlannedRow
    action: str  # created | updated | failed
    zendesk_id: int | None
    job_id: str | None
    error: str | None = None


def reconcile(batch: list[PlannedRow], job: dict[str, Any], tries: int = 1) -> list[RowOutcome]:
    """One outcome per row of ``batch`` from its finished ``job_status``.

    A job with per-row results is read row by row, whatever its status; one without them
    fails every row with the job's message (``tries`` says how many jobs the batch went through).
    """
    job_id = job.get("id")
    if job.get("status") != "completed" and not job.get("results"):
        reason = f"job {job.get('status')}: {job.get('message') or 'no message'}"
        if tries > 1:
            reason += f" (each of {tries} tries)"
        return [RowOutcome(item, "failed", None, job_id, reason) for item in batch]
    results = {r.get("index"): r for r in job.get("results") or [] if isinstance(r, dict)}
    return [_outcome(item, results.get(index), job_id) for index, item in enumerate(batch)]


def failed(batch: list[PlannedRow], reason: str) -> list[RowOutcome]:
    """Every row of a batch that was never sent, so no job has it."""
    return [RowOutcome(item, "failed", None, None, reason) for item in batch]


def _outcome(item: PlannedRow, result: dict[str, Any] | None, job_id: str | None) -> RowOutcome:
    if result is None:
        return RowOutcome(item, "failed", None, job_id, "the job returned no result for this row")
    mismatch = _mismatch(item.payload, result)
    if mismatch:
        return RowOutcome(item, "failed", result.get("id"), job_id, mismatch)
    status = str(result.get("status") or "").lower()
    if status in STATUS_ACTIONS and result.get("success", True):
        return RowOutcome(item, STATUS_ACTIONS[status], result.get("id"), job_id)
    error = ": ".join(str(p) for p in (result.get("error"), result.get("details")) if p)
    fallback = f"status {status}" if status else "the job result for this row has no status"
    return RowOutcome(item, "failed", result.get("id"), job_id, error or fallback)


def _mismatch(payload: dict[str, Any], result: dict[str, Any]) -> str | None:
    # Results are matched by index; the echoed identity proves the index points at this row.
    for key in ("external_id", "email"):
        sent, echoed = payload.get(key), result.get(key)
        if sent and echoed and str(sent).lower() != str(echoed).lower():
            return f"job result {key} {echoed!r} does not match the row sent ({sent!r})"
    return None
