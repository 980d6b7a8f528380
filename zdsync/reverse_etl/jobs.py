"""Sending batches as bulk jobs under the account's job cap, and polling.

What each batch is sent as (method, path, body) and what a refusal of bulk writes means are the
object's to say (``BulkRequest``, ``Refusal``); users go to ``create_or_update_many``.

Several jobs are in flight at once, never more than the cap (30, or what the
``zendesk-ratelimit-inflight-jobs`` header reports) minus a margin left for other tools.
``TooManyJobs`` and 429s are waited out by the client, which honours ``Retry-After``. Finished
jobs are found with one ``job_statuses/show_many`` per poll; polls are timed for when the oldest
job should be done (jobs finish in order), and back off while none is. A job that fails as a
whole (``failed`` with no per-row results: Zendesk could not run it) says nothing about its
rows, so they are sent again after a backoff, a bounded number of times.
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

from zdsync import catalog
from zdsync.client import ZendeskClient
from zdsync.client.errors import PermissionDeniedError, ZendeskError
from zdsync.client.responses import json_object
from zdsync.errors import BulkImportsDisabledError, BulkWriteNotAllowedError
from zdsync.reverse_etl.plan import PlannedRow

log = logging.getLogger(__name__)

BULK_PATH = catalog.operation("users.create_or_update_many").path
SHOW_MANY_PATH = catalog.operation("job_statuses.show_many").path
DEFAULT_JOB_CAP = 30
_CAP_TOTAL = re.compile(r"total=(\d+)")


@dataclass(frozen=True)
class BulkRequest:
    """The one request that turns a batch into a job."""

    method: str
    path: str
    body: dict[str, Any]


RequestFor = Callable[[list[PlannedRow]], BulkRequest]
Refusal = Callable[[PermissionDeniedError], Exception]


def users_request(batch: list[PlannedRow]) -> BulkRequest:
    """Users are upserted: Zendesk matches each on external id, then email."""
    return BulkRequest("POST", BULK_PATH, {"users": [item.payload for item in batch]})


def users_refusal(exc: PermissionDeniedError) -> Exception:
    """What a 403 on bulk user writes means; only the description tells the two apart."""
    if "import" in str(exc).lower():
        return BulkImportsDisabledError(
            "bulk user imports are disabled on this Zendesk account: ask Zendesk Customer "
            "Support to enable data imports, or run again with --single (one user a "
            f"second); Zendesk answered {exc}"
        )
    return BulkWriteNotAllowedError(
        "these Zendesk credentials may not create or update users in bulk: use an "
        "admin's, or those of an agent whose custom role may manage end users; Zendesk "
        f"answered {exc}"
    )


@dataclass
class InFlight:
    job_id: str
    batch: list[PlannedRow]
    submitted: float
    tries: int


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


@dataclass(frozen=True)
class Resubmit:
    """How often, and after how long, a batch whose job failed as a whole is sent again.

    ``tries`` counts every job of the batch, the first included; the wait before try ``n + 1``
    is ``backoff_seconds * 2 ** (n - 1)``.
    """

    tries: int = 3
    backoff_seconds: float = 5.0


@dataclass
class _Pending:
    batch: list[PlannedRow]
    tries: int
    not_before: float


def failed_as_a_whole(status: dict[str, Any]) -> bool:
    """A job Zendesk could not run: failed or killed, with no result for any row."""
    return status.get("status") in ("failed", "killed") and not status.get("results")


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

    ``on_done`` gets the batches one poll found finished, together; a batch that could not be
    sent comes on its own, with the reason. Batches whose job failed as a whole are sent again
    first, and reported only when their last try has failed too.
    """

    def __init__(
        self,
        client: ZendeskClient,
        on_done: JobsDone,
        *,
        margin: int = 1,
        poll: PollPolicy = PollPolicy(),
        resubmit: Resubmit = Resubmit(),
        request_for: RequestFor = users_request,
        refusal: Refusal = users_refusal,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.on_done = on_done
        self.margin = margin
        self.poll = poll
        self.resubmit = resubmit
        self.request_for = request_for
        self.refusal = refusal
        self.cap = DEFAULT_JOB_CAP
        self.jobs = 0
        self.failed_jobs = 0
        self.polls = 0
        self._clock = clock
        self._sleep = sleep
        self._in_flight: deque[InFlight] = deque()
        self._retries: list[_Pending] = []
        self._latency: float | None = None
        self._empty_polls = 0
        self._last_poll = float("-inf")

    @property
    def allowed(self) -> int:
        return max(1, self.cap - self.margin)

    def run(self, batches: Iterable[list[PlannedRow]]) -> None:
        fresh = deque(batches)
        finished: list[Finished] = []
        while fresh or self._retries or self._in_flight or finished:
            self._fill(fresh)
            # Freed slots are refilled before the finished jobs are written down, so the new
            # jobs' latency runs while we reconcile. A crash in between only means those rows
            # are sent again next run, and an upsert of the same row changes nothing. What one
            # poll found is written down at once: per job, the writes outlasted the poll
            # interval and held back the next poll.
            if finished:
                self.on_done(finished)
            if self._in_flight:
                finished = self._settle(self._poll_once())
            else:
                finished = []
                self._wait_for_retry()

    def _fill(self, fresh: deque[list[PlannedRow]]) -> None:
        """Submit into every free slot: batches due to be sent again first, then new ones."""
        while len(self._in_flight) < self.allowed:
            now = self._clock()
            due = [p for p in self._retries if p.not_before <= now]
            if due:
                self._retries.remove(due[0])
                self._submit(due[0].batch, due[0].tries + 1)
            elif fresh:
                self._submit(fresh.popleft(), 1)
            else:
                return

    def _wait_for_retry(self) -> None:
        if self._retries:
            self._sleep(max(0.0, min(p.not_before for p in self._retries) - self._clock()))

    def _settle(self, polled: list[tuple[InFlight, dict[str, Any]]]) -> list[Finished]:
        """Finished batches to report; whole-job failures with tries left are set to go again."""
        finished = []
        for job, status in polled:
            if not failed_as_a_whole(status):
                finished.append(Finished(job.batch, status, tries=job.tries))
                continue
            self.failed_jobs += 1
            if job.tries >= self.resubmit.tries:
                finished.append(Finished(job.batch, status, tries=job.tries))
                continue
            wait = self.resubmit.backoff_seconds * 2 ** (job.tries - 1)
            log.warning(
                "job %s failed as a whole (%s); its %d rows go again in %.1fs, try %d of %d",
                job.job_id,
                status.get("message") or "no message",
                len(job.batch),
                wait,
                job.tries + 1,
                self.resubmit.tries,
            )
            self._retries.append(_Pending(job.batch, job.tries, self._clock() + wait))
        return finished

    def _submit(self, batch: list[PlannedRow], tries: int) -> None:
        wanted = self.request_for(batch)
        try:
            response = self.client.request(wanted.method, wanted.path, json=wanted.body)
        except PermissionDeniedError as exc:
            raise self.refusal(exc) from None
        except ZendeskError as exc:
            self.on_done([Finished(batch, None, f"not sent: {exc}", tries)])
            return
        self._learn_cap(response)
        job = json_object(response).get("job_status") or {}
        self.jobs += 1
        self._in_flight.append(InFlight(str(job.get("id")), batch, self._clock(), tries))

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
