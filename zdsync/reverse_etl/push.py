"""One push of one object: read, plan, diff, send, reconcile, log.

What ``zdsync push <object>`` and the flows call; the object's adapter (``objects.OBJECTS``)
says how its rows are validated and matched and which bulk requests send them.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import duckdb

from zdsync.client import Settings, ZendeskClient
from zdsync.client.errors import RetryLaterError, ZendeskError
from zdsync.errors import (
    InputError,
    PushFixAndRunAgainError,
    PushRunAgainLaterError,
    first_line,
)
from zdsync.reverse_etl import plan as planning
from zdsync.reverse_etl import queued_jobs
from zdsync.reverse_etl.feed import Feed
from zdsync.reverse_etl.job_records import Finished
from zdsync.reverse_etl.jobs import BulkSender
from zdsync.reverse_etl.ledger import Ledger, RunTotals, previous_state
from zdsync.reverse_etl.objects import OBJECTS, OneByOne, Streaming, SyncObject
from zdsync.reverse_etl.progress import PushProgress
from zdsync.reverse_etl.push_options import PushOptions, PushSummary
from zdsync.reverse_etl.reconcile import RowOutcome, failed, reconcile
from zdsync.reverse_etl.rows import InputRow, load_mapping, read_file, read_query
from zdsync.reverse_etl.single import SINGLE_PATH, SingleSender
from zdsync.reverse_etl.stream import Planner, PlanRows, chunks, quick_handoffs

# The options and the summary live beside the run, and are named here too, where callers look.
__all__ = ["PushOptions", "PushSummary", "push", "push_users"]

log = logging.getLogger(__name__)


def push_users(
    settings: Settings,
    options: PushOptions,
    *,
    on_progress: Callable[[PushProgress], None] | None = None,
) -> PushSummary:
    """Push users (see ``push``)."""
    return push(settings, "users", options, on_progress=on_progress)


def push(
    settings: Settings,
    object_name: str,
    options: PushOptions,
    *,
    on_progress: Callable[[PushProgress], None] | None = None,
) -> PushSummary:
    """Run one push of ``object_name`` (a key of ``OBJECTS``); ``on_progress`` is told each
    time rows settle or jobs finish.

    Raises:
        PushError: What stops the whole run, as a ``PushFixAndRunAgainError`` or, when Zendesk
            stayed unavailable past the client's retries, a ``PushRunAgainLaterError``.
    """
    clock = _RunClock()
    obj = OBJECTS.get(object_name)
    if obj is None:
        raise InputError(f"no object {object_name!r} to push: use one of {', '.join(OBJECTS)}")
    if options.single and obj.name != "users":
        raise InputError("--single is for users; other objects are written in bulk only")
    if options.mirror and obj.name != "identities":
        raise InputError("--mirror is for identities: other objects never delete")
    rows = _rows(options)
    try:
        with ZendeskClient(settings) as client:
            progress = PushProgress("push", len(rows), listener=on_progress)
            return _Push(client, obj, options, rows, clock, progress).run()
    except RetryLaterError as exc:
        raise PushRunAgainLaterError(str(exc)) from None
    except ZendeskError as exc:
        raise PushFixAndRunAgainError(str(exc)) from None
    except duckdb.IOException as exc:
        # Another extract or push holds the file; DuckDB says which process.
        raise PushFixAndRunAgainError(f"cannot use {options.db}: {first_line(exc)}") from None


class _RunClock:
    """When the run started, on the wall for the ledger and monotonic for its length."""

    def __init__(self) -> None:
        self.started_at = datetime.now(UTC)
        self._started = time.monotonic()

    def seconds(self) -> float:
        return time.monotonic() - self._started


def _rows(options: PushOptions) -> list[InputRow]:
    mapping = load_mapping(options.mapping)
    if options.query:
        if not options.db.exists():
            raise InputError(f"no database at {options.db} to run --query on")
        return read_query(options.db, options.query, mapping)
    if options.input is None:
        raise InputError("give --input FILE or --query SQL")
    return read_file(options.input, mapping)


class _Push:
    def __init__(
        self,
        client: ZendeskClient,
        obj: SyncObject,
        options: PushOptions,
        rows: list[InputRow],
        clock: _RunClock,
        progress: PushProgress,
    ):
        self.client = client
        self.obj = obj
        self.adapter = obj.adapter()
        self.progress = progress
        self.sender: BulkSender | None = None
        self.options = options
        self.rows = rows
        self.clock = clock
        self.run_id = uuid.uuid4().hex
        self.totals = RunTotals(rows=len(rows))
        self.ledger: Ledger | None = None
        # The jobs each batch in flight went through, by the batch's identity.
        self._jobs_of: dict[int, list[str]] = {}

    def run(self) -> PushSummary:
        if not self.options.dry_run and queued_jobs.any_left(self.options.db, self.obj.name):
            self._write_down_left_behind()
        if self._streams():
            planned = self._execute_streamed()
        else:
            planned = self._plan()
            if self.options.dry_run:
                self._count_requests()
                self.totals.seconds = self.clock.seconds()
            else:
                self._execute(planned)
        tally = planning.counts(planned)
        invalid = [(p.row.row_number, p.reason or "") for p in planned if p.decision == "invalid"]
        return PushSummary(
            self.run_id, self.totals, tally, invalid, self.options.dry_run, self.obj.name
        )

    def _write_down_left_behind(self) -> None:
        """Results of jobs a killed run had queued: written down as that run's, so its rows
        are diffed as pushed and none is sent twice."""
        ledger = Ledger.resumed(self.options.db, self.run_id, self.obj)
        try:
            left = ledger.left_behind()
            ended = queued_jobs.outcomes(self.client, left, self.options.poll.first_job_interval)
            for run_id, outcomes in ended.items():
                ledger.run_id = run_id
                ledger.record(outcomes)
            ledger.forget(sorted({job for _, job in left}))
            log.info("wrote down %d jobs an earlier run left behind", len(left))
        finally:
            ledger.close()

    def _plan(self) -> list[planning.PlannedRow]:
        planned = self.adapter.plan(self.client, self.rows, self.options.on_duplicate)
        self._finish_plan(planned, previous_state(self.options.db, self.obj))
        return planned

    def _finish_plan(
        self, planned: list[planning.PlannedRow], previous: dict[str, planning.Previous]
    ) -> None:
        planning.diff(planned, previous)
        to_match = self._to_match(planned)
        if to_match:
            self.adapter.match(self.client, to_match, self.options.db)
        self.adapter.apply_mode(planned, self.options.mode)

    def _streams(self) -> bool:
        """Whether the first jobs go out while the rest of the input is planned: an upsert
        in bulk of an object that plans chunk by chunk."""
        options = self.options
        return (
            isinstance(self.adapter, Streaming)
            and not (options.dry_run or options.single)
            and options.mode == "upsert"
            and self.adapter.streams(self.rows)
        )

    def _execute_streamed(self) -> list[planning.PlannedRow]:
        assert isinstance(self.adapter, Streaming)
        # The ledger opens while the adapter asks Zendesk what planning needs (field
        # definitions): both mostly wait, and planning starts once both are done. Planning
        # any earlier would hold the interpreter while the ledger opens, and nothing is sent
        # before it is open.
        with ThreadPoolExecutor(1, thread_name_prefix="push-ledger") as pool:
            opening = pool.submit(self._open_ledger)
            try:
                plan_rows = self.adapter.prepare(self.client, self.options.on_duplicate)
            except BaseException:
                if opening.exception() is None:
                    opening.result().close()
                raise
            ledger = opening.result()
        try:
            return self._send_planned(ledger, plan_rows)
        finally:
            ledger.close()

    def _send_planned(self, ledger: Ledger, plan_rows: PlanRows) -> list[planning.PlannedRow]:
        """Plan chunk after chunk in a thread of its own while the planned batches are sent."""
        assert isinstance(self.adapter, Streaming)
        previous = ledger.previous()
        feed: Feed[list[planning.PlannedRow]] = Feed()
        planner = Planner(
            chunks(self.rows, self.adapter.keys),
            plan_rows,
            lambda part: self._finish_plan(part, previous),
            self.adapter.batch_kind,
            feed,
        )
        with quick_handoffs():
            planner.start()
            try:
                self._send_bulk(feed)
            finally:
                planned = planner.join()
        self._log_unsent(planned)
        self._finish_run()
        return planned

    def _open_ledger(self) -> Ledger:
        source = str(self.options.input) if self.options.input else "query"
        self.ledger = Ledger(
            self.options.db,
            self.run_id,
            self.options.mode,
            source,
            self.clock.started_at,
            self.obj,
        )
        return self.ledger

    def _log_unsent(self, planned: list[planning.PlannedRow]) -> None:
        assert self.ledger is not None
        unsent = [p for p in planned if p.decision != "send"]
        self.ledger.log_unsent(unsent)
        for item in unsent:
            self._tally(item.decision)
        self._moved()

    def _send_bulk(
        self, batches: Iterable[list[planning.PlannedRow]] | Feed[list[planning.PlannedRow]]
    ) -> None:
        sender = self.sender = BulkSender(
            self.client,
            self._jobs_done,
            margin=self.options.job_margin,
            poll=self.options.poll,
            resubmit=self.options.resubmit,
            request_for=self.adapter.request,
            refusal=self.adapter.refusal,
            on_queued=self._queued,
        )
        sender.run(batches)
        self.totals.jobs, self.totals.failed_jobs = sender.jobs, sender.failed_jobs

    def _finish_run(self) -> None:
        assert self.ledger is not None
        self._count_requests()
        self.totals.seconds = self.clock.seconds()
        self.ledger.finish(self.totals)
        self.progress.done = True
        self.progress.notify()

    def _to_match(self, planned: list[planning.PlannedRow]) -> list[planning.PlannedRow]:
        """Rows whose Zendesk record must be known before sending: the modes and the dry run
        need every row's, a plain upsert those its adapter says."""
        every = self.options.dry_run or self.options.mode != "upsert"
        return [p for p in planned if p.decision == "send" and self.adapter.needs_match(p, every)]

    def _execute(self, planned: list[planning.PlannedRow]) -> None:
        ledger = self._open_ledger()
        try:
            self._log_unsent(planned)
            to_send = [p for p in planned if p.decision == "send"]
            if self.options.single:
                SingleSender(self.client, self._record).run(to_send)
            elif isinstance(self.adapter, OneByOne):
                for item in to_send:
                    self._record([self.adapter.send_one(self.client, item)])
                if self.options.mirror:
                    self._record(self.adapter.mirror(self.client, planned, self.options.db))
            else:
                self._send_bulk(self.adapter.batches(to_send))
            self._finish_run()
        finally:
            ledger.close()

    def _queued(self, jobs: list[tuple[str, list[planning.PlannedRow]]]) -> None:
        assert self.ledger is not None
        self.ledger.queued(jobs)
        for job_id, batch in jobs:
            self._jobs_of.setdefault(id(batch), []).append(job_id)

    def _jobs_done(self, finished: list[Finished]) -> None:
        self.progress.jobs_done += len(finished)
        # Every job a batch went through is done with, those that failed as a whole too.
        jobs = [job for done in finished for job in self._jobs_of.pop(id(done.batch), [])]
        self._record(
            [
                outcome
                for done in finished
                for outcome in (
                    reconcile(done.batch, done.job, done.tries)
                    if done.job is not None
                    else failed(done.batch, done.reason or "")
                )
            ],
            jobs,
        )

    def _record(self, outcomes: list[RowOutcome], jobs: list[str] | None = None) -> None:
        assert self.ledger is not None
        self.ledger.record(outcomes, jobs or [])
        for outcome in outcomes:
            self._tally(outcome.action)
            if outcome.action == "failed":
                log.info("row %d failed: %s", outcome.item.row.row_number, outcome.error)
        self._moved()

    def _moved(self) -> None:
        t = self.totals
        self.progress.settled = t.created + t.updated + t.unchanged + t.failed + t.invalid
        self.progress.failed = t.failed + t.invalid
        self.progress.jobs = self.sender.jobs if self.sender is not None else 0
        self.progress.notify()

    def _tally(self, action: str) -> None:
        setattr(self.totals, action, getattr(self.totals, action) + 1)

    def _count_requests(self) -> None:
        stats = self.client.stats
        self.totals.requests = stats.total
        paths = (SINGLE_PATH,) if self.options.single else self.adapter.post_paths
        # A write endpoint may share its path with a read (an identity list and its creation).
        self.totals.post_requests = sum(
            stats.count(endpoint=path) - stats.count(endpoint=path, method="GET") for path in paths
        )
        self.totals.too_many_jobs = stats.too_many_jobs()
        self.totals.rate_limited = stats.rate_limited()
        self.totals.server_errors = stats.server_errors()
