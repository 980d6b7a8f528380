"""Sending batches as ``create_or_update_many`` jobs under the account's job cap, and polling.

Several jobs are in flight at once, never more than the cap (30, or what the
``zendesk-ratelimit-inflight-jobs`` header reports) minus a margin left for other tools.
``TooManyJobs`` and 429s are waited out by the client, which honours ``Retry-After``. Finished
jobs are found with one ``job_statuses/show_many`` per poll; polls are timed for when the oldest
job should be done (jobs finish in order), and back off while none is.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from zdsync.client import ZendeskClient
from zdsync.client.errors import PermissionDeniedError, ZendeskError
from zdsync.client.responses import json_object
from zdsync.reverse_etl.plan import PlannedRow

log = logging.getLogger(__name__)

BULK_PATH = "/api/v2/users/create_or_update_many"
SHOW_MANY_PATH = "/api/v2/job_statuses/show_many"
DEFAULT_JOB_CAP = 30
_CAP_TOTAL = re.compile(r"total=(\d+)")


class BulkImportsDisabledError(Exception):
    """The account refuses bulk user imports (403)."""


@dataclass
class InFlight:
    job_id: str
    batch: list[PlannedRow]
    submitted: float


# A batch, with its finished job's status, or with the reason it could not be sent.
Finished = tuple[list[PlannedRow], dict[str, Any] | None, str | None]
JobsDone = Callable[[list[Finished]], None]


@dataclass(frozen=True)
class PollPolicy:
    """How polling paces itself: never more often than ``min_interval``."""

    min_interval: float = 0.1
    max_interval: float = 10.0
    # Until the first job finishes its latency is unknown; look at least this often. Every
    # second lost here is lost once per slot's first job.
    first_job_interval: float = 0.5


class BulkSender:
    """Runs batches through bulk jobs and reports finished jobs to ``on_done``.

    ``on_done`` gets the jobs one poll found finished, together, as ``(batch, job_status,
    None)``; a batch that could not be sent comes as ``(batch, None, reason)``.
    """

    def __init__(
        self,
        client: ZendeskClient,
        on_done: JobsDone,
        *,
        margin: int = 1,
        poll: PollPolicy = PollPolicy(),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.on_done = on_done
        self.margin = margin
        self.poll = poll
        self.cap = DEFAULT_JOB_CAP
        self.jobs = 0
        self.polls = 0
        self._clock = clock
        self._sleep = sleep
        self._in_flight: deque[InFlight] = deque()
        self._latency: float | None = None
        self._empty_polls = 0
        self._last_poll = float("-inf")

    @property
    def allowed(self) -> int:
        return max(1, self.cap - self.margin)

    def run(self, batches: Iterable[list[PlannedRow]]) -> None:
        waiting = deque(batches)
        finished: list[tuple[InFlight, dict[str, Any]]] = []
        while waiting or self._in_flight or finished:
            while waiting and len(self._in_flight) < self.allowed:
                self._submit(waiting.popleft())
            # Freed slots are refilled before the finished jobs are written down, so the new
            # jobs' latency runs while we reconcile. A crash in between only means those rows
            # are sent again next run, and an upsert of the same row changes nothing. What one
            # poll found is written down at once: per job, the writes outlasted the poll
            # interval and held back the next poll.
            if finished:
                self.on_done([(job.batch, status, None) for job, status in finished])
            finished = self._poll_once() if self._in_flight else []

    def _submit(self, batch: list[PlannedRow]) -> None:
        body = {"users": [item.payload for item in batch]}
        try:
            response = self.client.request("POST", BULK_PATH, json=body)
        except PermissionDeniedError as exc:
            raise BulkImportsDisabledError(str(exc)) from None
        except ZendeskError as exc:
            self.on_done([(batch, None, f"not sent: {exc}")])
            return
        self._learn_cap(response)
        job = json_object(response).get("job_status") or {}
        self.jobs += 1
        self._in_flight.append(InFlight(str(job.get("id")), batch, self._clock()))

    def _learn_cap(self, response: httpx.Response) -> None:
        found = _CAP_TOTAL.search(response.headers.get("zendesk-ratelimit-inflight-jobs", ""))
        if found:
            self.cap = int(found[1])

    def _poll_once(self) -> list[tuple[InFlight, dict[str, Any]]]:
        """Poll once (when it is time); the jobs found finished, taken out of flight."""
        self._sleep(max(0.0, self._next_poll() - self._clock()))
        ids = [job.job_id for job in list(self._in_flight)[:100]]
        self._last_poll = self._clock()
        self.polls += 1
        try:
            body = self.client.get_json(SHOW_MANY_PATH, params={"ids": ",".join(ids)})
        except ZendeskError as exc:
            log.warning("polling jobs failed, will poll again: %s", exc)
            self._empty_polls += 1
            return []
        statuses = {s.get("id"): s for s in body.get("job_statuses") or []}
        finished = [
            job
            for job in self._in_flight
            if statuses.get(job.job_id, {}).get("status") in ("completed", "failed", "killed")
        ]
        for job in finished:
            self._in_flight.remove(job)
            latency = self._last_poll - job.submitted
            self._latency = latency if self._latency is None else min(self._latency, latency)
        self._empty_polls = 0 if finished else self._empty_polls + 1
        return [(job, statuses[job.job_id]) for job in finished]

    def _next_poll(self) -> float:
        """When to poll next: just before the oldest job should finish, then often until it has.

        The latency estimate is the shortest time any job took to be seen finished, so it only
        ever tightens. Before any job has finished, and when a job runs late, the interval
        doubles from ``min_interval``: a slow account is not polled hard.
        """
        step = self.poll.min_interval
        oldest = self._in_flight[0].submitted
        if self._latency is None:
            gap = min(self.poll.first_job_interval, step * 2.0**self._empty_polls)
            return max(self._last_poll, oldest) + gap
        expected = oldest + self._latency - step
        late = max(0, self._empty_polls - 3)
        gap = min(self.poll.max_interval, step * 2.0**late)
        return max(self._last_poll + gap, expected)
