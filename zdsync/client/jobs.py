"""Waiting for one background job (a bulk write, a merge) to finish.

The reverse ETL keeps many jobs in flight and polls them together (``reverse_etl/jobs.py``);
a single command or task has one job and only needs to know when it is done. Polls start
often, since most jobs finish in seconds, and back off to spare the account's budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zdsync.client.errors import ZendeskError

if TYPE_CHECKING:
    from zdsync.client.http import ZendeskClient

FINISHED = ("completed", "failed", "killed")


class JobTimeoutError(ZendeskError):
    """The job was still running when the wait ran out; it may yet finish."""


@dataclass(frozen=True)
class JobWait:
    """How often to poll and for how long: from ``first`` seconds, growing by ``factor``."""

    timeout_seconds: float = 600.0
    first: float = 0.25
    factor: float = 1.5
    longest: float = 5.0


def job_id_of(answer: dict[str, Any]) -> str | None:
    """The id of the job a bulk operation queued, from its answer."""
    job = answer.get("job_status")
    return str(job["id"]) if isinstance(job, dict) and job.get("id") else None


def wait_for_job(
    client: ZendeskClient,
    job_id: str,
    wait: JobWait = JobWait(),
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll ``job_statuses.show`` until the job is completed, failed or killed.

    Returns:
        The job's last status, results included.

    Raises:
        JobTimeoutError: It had not finished after ``wait.timeout_seconds``.
        ZendeskError: Polling failed after the client's own retries.
    """
    deadline = clock() + wait.timeout_seconds
    pause = wait.first
    while True:
        status: dict[str, Any] = client.call("job_statuses.show", job_status_id=job_id)[
            "job_status"
        ]
        if status.get("status") in FINISHED:
            return status
        if clock() + pause > deadline:
            raise JobTimeoutError(
                f"job {job_id} is still {status.get('status')} after "
                f"{wait.timeout_seconds:g}s; check it with job_statuses.show"
            )
        sleep(pause)
        pause = min(wait.longest, pause * wait.factor)
