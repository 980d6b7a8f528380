"""Sending batches as bulk jobs under the account's job cap, and polling.

What each batch is sent as (method, path, body) and what a refusal of bulk writes means are the
object's to say (``BulkRequest``, ``Refusal``); users go to ``create_or_update_many``.

Several jobs are in flight at once, never more than the cap (30, or what the
``zendesk-ratelimit-inflight-jobs`` header reports) minus a margin left for other tools. The
first job goes alone, since its answer says the cap; after that every free slot is filled at
once, the POSTs side by side, so a wave of jobs starts together and ends together.
``TooManyJobs`` and 429s are waited out by the client, which honours ``Retry-After``. Finished
jobs are found with one ``job_statuses/show_many`` per poll; a poll is timed for when the jobs
due first should be done, from what recent polls say of job latency (``JobLatency``) or, before
any job has finished, from the progress a running job reports, and polls back off while none is
done. A job that fails as
a whole (``failed`` with no per-row results: Zendesk could not run it) says nothing about its
rows, so they are sent again after a backoff, a bounded number of times.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from zdsync import catalog
from zdsync.client import ZendeskClient
from zdsync.client.errors import PermissionDeniedError, ZendeskError
from zdsync.client.responses import json_object
from zdsync.reverse_etl.bulk_request import (
    Refusal,
    RequestFor,
    users_refusal,
    users_request,
)
from zdsync.reverse_etl.feed import Feed
from zdsync.reverse_etl.job_latency import JobLatency
from zdsync.reverse_etl.job_policies import DEFAULT_POLL, DEFAULT_RESUBMIT, PollPolicy, Resubmit
from zdsync.reverse_etl.job_records import (
    Finished,
    InFlight,
    JobsDone,
    JobsQueued,
    done_by_progress,
    failed_as_a_whole,
)
from zdsync.reverse_etl.plan import PlannedRow
from zdsync.reverse_etl.write_behind import WriteBehind

log = logging.getLogger(__name__)

SHOW_MANY_PATH = catalog.operation("job_statuses.show_many").path
DEFAULT_JOB_CAP = 30
_CAP_TOTAL = re.compile(r"total=(\d+)")


@dataclass
class _Pending:
    batch: list[PlannedRow]
    tries: int
    not_before: float


@dataclass(frozen=True)
class _Sent:
    """What one POST came to: the queued job's status, or the error Zendesk answered."""

    batch: list[PlannedRow]
    tries: int
    submitted: float
    job: dict[str, Any] | None = None
    error: ZendeskError | None = None


class BulkSender:
    """Runs batches through bulk jobs and reports finished jobs to ``on_done``.

    ``on_done`` gets the batches one poll found finished, together, and a batch that could not
    be sent with the reason. Batches whose job failed as a whole are sent again first, and
    reported only when their last try has failed too. ``senders`` threads send the POSTs of a
    wave.

    With ``write_behind`` (the default) ``on_done`` runs in a thread of its own, one call at a
    time, while the sender goes on polling; what was reported while it ran comes in its next
    call, together. ``run`` returns once every report is written down, and raises what
    ``on_done`` raised. Without it, ``on_done`` runs in the sender's thread, each poll's finds
    and each refused batch on their own.

    ``on_queued`` is told the jobs each wave's POSTs queued at once, in a thread of its own, so
    that writing them down holds up neither the next POSTs nor the wait for the next poll; no
    poll goes out before it has returned, so a job is always written down as queued before
    anything can find it done. A run killed after that knows which jobs hold its rows.
    """

    def __init__(
        self,
        client: ZendeskClient,
        on_done: JobsDone,
        *,
        margin: int = 1,
        poll: PollPolicy = DEFAULT_POLL,
        resubmit: Resubmit = DEFAULT_RESUBMIT,
        request_for: RequestFor = users_request,
        refusal: Refusal = users_refusal,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        senders: int = 8,
        write_behind: bool = True,
        on_queued: JobsQueued | None = None,
    ) -> None:
        self.client = client
        self.on_done = on_done
        self.on_queued = on_queued
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
        self._senders = senders
        self._write_behind = write_behind
        self._report: Callable[[list[Finished]], None] = self._report_now
        self._pool: ThreadPoolExecutor | None = None
        self._queued_writer: ThreadPoolExecutor | None = None
        self._writing: deque[Future[None]] = deque()
        self._answered = False
        self._in_flight: deque[InFlight] = deque()
        self._retries: list[_Pending] = []
        self._latency = JobLatency(poll.min_interval)
        self._empty_polls = 0
        self._last_poll = float("-inf")
        # The intervals between polls run from the last answer, so Zendesk never sees two
        # polls closer together than the interval, however long one took to answer.
        self._last_answer = float("-inf")

    @property
    def allowed(self) -> int:
        return max(1, self.cap - self.margin)

    def run(self, batches: Iterable[list[PlannedRow]] | Feed[list[PlannedRow]]) -> None:
        """Send every batch; a ``Feed`` still being filled is sent from as it fills."""
        fresh = batches if isinstance(batches, Feed) else Feed.of(batches)
        with (
            ThreadPoolExecutor(self._senders, thread_name_prefix="bulk-post") as pool,
            ThreadPoolExecutor(1, thread_name_prefix="bulk-queued") as queued_writer,
        ):
            self._pool, self._queued_writer = pool, queued_writer
            try:
                if self._write_behind:
                    with WriteBehind(self._report_now, "bulk-report") as writer:
                        self._report = writer.put
                        self._run(fresh)
                else:
                    self._run(fresh)
            except BaseException:
                fresh.cancel()
                raise
            finally:
                self._pool, self._queued_writer = None, None
                self._report = self._report_now

    def _report_now(self, finished: list[Finished]) -> None:
        self.on_done(finished)

    def _run(self, fresh: Feed[list[PlannedRow]]) -> None:
        finished: list[Finished] = []
        while fresh or self._retries or self._in_flight or finished:
            self._fill(fresh)
            # Freed slots are refilled before the finished jobs are reported, so the new jobs'
            # latency runs while we reconcile. A crash before they are written down only means
            # those rows are sent again next run, and an upsert of the same row changes
            # nothing. What one poll found is reported at once: per job, the writes outlasted
            # the poll interval and held back the next poll.
            if finished:
                self._report(finished)
            if self._in_flight:
                finished = self._settle(self._poll_once(fresh))
            else:
                finished = []
                self._wait_for_work(fresh)

    def _fill(self, fresh: Feed[list[PlannedRow]]) -> None:
        """Submit into every free slot: batches due to be sent again first, then new ones.

        Until a bulk POST has been answered the cap is not known, so the first goes alone.
        """
        while True:
            free = self.allowed - len(self._in_flight)
            picked = self._pick(fresh, free if self._answered else min(free, 1))
            if not picked:
                return
            self._send(picked)

    def _pick(
        self, fresh: Feed[list[PlannedRow]], count: int
    ) -> list[tuple[list[PlannedRow], int]]:
        now = self._clock()
        picked = []
        for pending in [p for p in self._retries if p.not_before <= now][:count]:
            self._retries.remove(pending)
            picked.append((pending.batch, pending.tries + 1))
        while fresh.ready() and len(picked) < count:
            picked.append((fresh.popleft(), 1))
        return picked

    def _send(self, picked: list[tuple[list[PlannedRow], int]]) -> None:
        """POST the batches side by side; the jobs join the flight in the order of ``picked``."""
        assert self._pool is not None
        queued = []
        for sent in self._pool.map(lambda p: self._post(*p), picked):
            self._answered = True
            if sent.error is not None:
                self._report([Finished(sent.batch, None, f"not sent: {sent.error}", sent.tries)])
                continue
            job = sent.job or {}
            self.jobs += 1
            self._in_flight.append(
                InFlight(str(job.get("id")), sent.batch, sent.submitted, sent.tries)
            )
            queued.append((str(job.get("id")), sent.batch))
        if queued and self.on_queued is not None:
            assert self._queued_writer is not None
            self._writing.append(self._queued_writer.submit(self.on_queued, queued))

    def _written_down(self) -> None:
        """Wait until every queued job is written down, and raise what writing one raised."""
        while self._writing:
            self._writing.popleft().result()

    def _wait_for_work(self, fresh: Feed[list[PlannedRow]]) -> None:
        """Nothing in flight: wait for the next retry, or for the planner's next batch."""
        if self._retries:
            self._wait_until(min(p.not_before for p in self._retries), fresh)
        elif fresh:
            fresh.wait(None)

    def _wait_until(self, when: float, fresh: Feed[list[PlannedRow]]) -> bool:
        """Wait until ``when``; False if a batch arrived first that a free slot can take."""
        delay = max(0.0, when - self._clock())
        if fresh.closed or len(self._in_flight) >= self.allowed:
            self._sleep(delay)
            return True
        return not fresh.wait(delay)

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

    def _post(self, batch: list[PlannedRow], tries: int) -> _Sent:
        """One bulk POST, from a sending thread; what stops the whole run is raised."""
        wanted = self.request_for(batch)
        submitted = self._clock()
        try:
            response = self.client.request(wanted.method, wanted.path, json=wanted.body)
        except PermissionDeniedError as exc:
            raise self.refusal(exc) from None
        except ZendeskError as exc:
            return _Sent(batch, tries, submitted, error=exc)
        self._learn_cap(response)
        return _Sent(batch, tries, submitted, job=json_object(response).get("job_status") or {})

    def _learn_cap(self, response: httpx.Response) -> None:
        found = _CAP_TOTAL.search(response.headers.get("zendesk-ratelimit-inflight-jobs", ""))
        if found:
            self.cap = int(found[1])

    def _poll_once(self, fresh: Feed[list[PlannedRow]]) -> list[tuple[InFlight, dict[str, Any]]]:
        """Poll once (when it is time); the jobs found finished, taken out of flight.

        Nothing is polled when a batch arrives for a free slot first: it is sent, and the poll
        waits for its time again.
        """
        if not self._wait_until(self._next_poll(), fresh):
            return []
        self._written_down()
        ids = [job.job_id for job in list(self._in_flight)[:100]]
        self._last_poll = self._clock()
        self.polls += 1
        try:
            body = self.client.get_json(SHOW_MANY_PATH, params={"ids": ",".join(ids)})
        except ZendeskError as exc:
            log.warning("polling jobs failed, will poll again: %s", exc)
            self._empty_polls += 1
            return []
        finally:
            self._last_answer = self._clock()
        answered = self._last_answer
        statuses = {s.get("id"): s for s in body.get("job_statuses") or []}
        finished = []
        for job in self._in_flight:
            # Ages from the question, not the answer: finding jobs done can take a while to
            # answer (their results come with it), and that time is not the jobs'.
            age = self._last_poll - job.submitted
            status = statuses.get(job.job_id, {})
            if status.get("status") in ("completed", "failed", "killed"):
                finished.append(job)
                self._latency.done(age)
                continue
            due = self._expected(job)
            if due is None or due <= self._last_poll:
                self._latency.running(age)
            job.expected = done_by_progress(job, status, answered) or job.expected
        for job in finished:
            self._in_flight.remove(job)
        self._empty_polls = 0 if finished else self._empty_polls + 1
        return [(job, statuses[job.job_id]) for job in finished]

    def _next_poll(self) -> float:
        """When to poll next: when the jobs due first should be done, then often until they are.

        Before anything says when a job will be done, and when a job runs late, the interval
        doubles from ``min_interval``: a slow account is not polled hard.
        """
        step = self.poll.min_interval
        due = self._first_due()
        if due is None:
            oldest = self._in_flight[0].submitted
            gap = min(self.poll.first_job_interval, step * 2.0**self._empty_polls)
            return max(self._last_answer, oldest) + gap
        late = max(0, self._empty_polls - 3)
        gap = min(self.poll.max_interval, step * 2.0**late)
        return max(self._last_answer + gap, due)

    def _first_due(self) -> float | None:
        """When the jobs expected first should all be done, if anything says so.

        Jobs expected within ``min_interval`` of the first are waited for too: no poll could
        come between them, and one poll that finds them all refills every slot they held.
        """
        latency = self._latency.estimate()
        expected = sorted(
            e for e in (self._expected(job, latency) for job in self._in_flight) if e is not None
        )
        if not expected:
            return None
        return max(e for e in expected if e <= expected[0] + self.poll.min_interval)

    def _expected(self, job: InFlight, latency: float | None = None) -> float | None:
        """When ``job`` should be done: by the recent latency estimate, or by its progress."""
        if latency is None:
            latency = self._latency.estimate()
        by_latency = None if latency is None else job.submitted + latency
        return min((t for t in (by_latency, job.expected) if t is not None), default=None)
