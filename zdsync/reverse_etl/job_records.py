"""What a bulk job is while it runs and what came of it, as the sender and its callers see them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zdsync.reverse_etl.plan import PlannedRow


@dataclass
class InFlight:
    """A job Zendesk has queued; ``submitted`` is when its POST went out.

    ``expected`` is when the job's reported progress says it will be done, once a poll has seen
    it running.
    """

    job_id: str
    batch: list[PlannedRow]
    submitted: float
    tries: int
    expected: float | None = None


@dataclass(frozen=True)
class Finished:
    """A batch that is done: its last job's status, or the reason it could not be sent.

    ``tries`` counts the jobs the batch went through (more than one after whole-job failures).
    """

    batch: list[PlannedRow]
    job: dict[str, Any] | None
    reason: str | None = None
    tries: int = 1


JobsDone = Callable[[list[Finished]], None]
# Jobs Zendesk has just queued, by id, with their batches: told before any of them is polled.
JobsQueued = Callable[[list[tuple[str, list[PlannedRow]]]], None]


def failed_as_a_whole(status: dict[str, Any]) -> bool:
    """A job Zendesk could not run: failed or killed, with no result for any row."""
    return status.get("status") in ("failed", "killed") and not status.get("results")


def done_by_progress(job: InFlight, status: dict[str, Any], seen: float) -> float | None:
    """When a running job will be done if it goes on as fast as it has since it was sent.

    Time in the queue counts as time spent, so the guess errs late, never early.
    """
    progress, total = status.get("progress"), status.get("total")
    if not isinstance(progress, int) or not isinstance(total, int) or not 0 < progress < total:
        return None
    return job.submitted + (seen - job.submitted) * total / progress
