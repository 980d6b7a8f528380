"""One push of one object: read, plan, diff, send, reconcile, log.

What ``zdsync push <object>`` and the flows call; the object's adapter (``objects.OBJECTS``)
says how its rows are validated and matched and which bulk requests send them.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

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
from zdsync.reverse_etl.jobs import BulkSender, Finished, PollPolicy, Resubmit
from zdsync.reverse_etl.ledger import Ledger, RunTotals, previous_state
from zdsync.reverse_etl.objects import OBJECTS, OneByOne, SyncObject
from zdsync.reverse_etl.progress import PushProgress
from zdsync.reverse_etl.reconcile import RowOutcome, failed, reconcile
from zdsync.reverse_etl.rows import InputRow, load_mapping, read_file, read_query
from zdsync.reverse_etl.single import SINGLE_PATH, SingleSender

log = logging.getLogger(__name__)
DEFAULT_DB = Path("data/zdsync.duckdb")


@dataclass(frozen=True)
class PushOptions:
    """What to push and how.

    Attributes:
        input: A CSV, Parquet or JSON-lines file (or None with ``query``).
        query: SQL run on ``db`` whose rows are the input.
        db: DuckDB file holding the ledger (and the query's tables).
        mapping: TOML file renaming CRM columns.
        mode: upsert, update-only or create-only.
        on_duplicate: Which of several rows naming one record is sent: ``last`` (the newest row
            of a CRM export), ``first``, or ``reject`` (none of them).
        mirror: Identities only: delete the listed users' identities, of the types their rows
            name, that no row names (never a primary one).
        dry_run: Plan and report only: nothing is written to Zendesk or to the database.
        single: One ``create_or_update`` request per user, for accounts without bulk imports
            (users only).
        job_margin: Job slots left free for other tools.
        poll: How job statuses are polled.
        resubmit: How batches whose job failed as a whole are sent again.
    """

    input: Path | None = None
    query: str | None = None
    db: Path = DEFAULT_DB
    mapping: Path | None = None
    mode: planning.Mode = "upsert"
    on_duplicate: planning.OnDuplicate = "last"
    dry_run: bool = False
    mirror: bool = False
    single: bool = False
    job_margin: int = 1
    poll: PollPolicy = field(default_factory=PollPolicy)
    resubmit: Resubmit = field(default_factory=Resubmit)


@dataclass
class PushSummary:
    run_id: str
    totals: RunTotals
    plan: dict[str, int]
    invalid: list[tuple[int, str]]
    dry_run: bool
    object: str = "users"


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

    def run(self) -> PushSummary:
        planned = self._plan()
        tally = planning.counts(planned)
        invalid = [(p.row.row_number, p.reason or "") for p in planned if p.decision == "invalid"]
        if self.options.dry_run:
            self._count_requests()
            self.totals.seconds = self.clock.seconds()
        else:
            self._execute(planned)
        return PushSummary(
            self.run_id, self.totals, tally, invalid, self.options.dry_run, self.obj.name
        )

    def _plan(self) -> list[planning.PlannedRow]:
        planned = self.adapter.plan(self.client, self.rows, self.options.on_duplicate)
        planning.diff(planned, previous_state(self.options.db, self.obj))
        to_match = self._to_match(planned)
        if to_match:
            self.adapter.match(self.client, to_match, self.options.db)
        self.adapter.apply_mode(planned, self.options.mode)
        return planned

    def _to_match(self, planned: list[planning.PlannedRow]) -> list[planning.PlannedRow]:
        """Rows whose Zendesk record must be known before sending: the modes and the dry run
        need every row's, a plain upsert those its adapter says."""
        every = self.options.dry_run or self.options.mode != "upsert"
        return [p for p in planned if p.decision == "send" and self.adapter.needs_match(p, every)]

    def _execute(self, planned: list[planning.PlannedRow]) -> None:
        source = str(self.options.input) if self.options.input else "query"
        self.ledger = Ledger(
            self.options.db,
            self.run_id,
            self.options.mode,
            source,
            self.clock.started_at,
            self.obj,
        )
        try:
            unsent = [p for p in planned if p.decision != "send"]
            self.ledger.log_unsent(unsent)
            for item in unsent:
                self._tally(item.decision)
            self._moved()
            to_send = [p for p in planned if p.decision == "send"]
            if self.options.single:
                SingleSender(self.client, self._record).run(to_send)
            elif isinstance(self.adapter, OneByOne):
                for item in to_send:
                    self._record([self.adapter.send_one(self.client, item)])
                if self.options.mirror:
                    self._record(self.adapter.mirror(self.client, planned, self.options.db))
            else:
                sender = self.sender = BulkSender(
                    self.client,
                    self._jobs_done,
                    margin=self.options.job_margin,
                    poll=self.options.poll,
                    resubmit=self.options.resubmit,
                    request_for=self.adapter.request,
                    refusal=self.adapter.refusal,
                )
                sender.run(self.adapter.batches(to_send))
                self.totals.jobs, self.totals.failed_jobs = sender.jobs, sender.failed_jobs
            self._count_requests()
            self.totals.seconds = self.clock.seconds()
            self.ledger.finish(self.totals)
            self.progress.done = True
            self.progress.notify()
        finally:
            self.ledger.close()

    def _jobs_done(self, finished: list[Finished]) -> None:
        self.progress.jobs_done += len(finished)
        self._record(
            [
                outcome
                for done in finished
                for outcome in (
                    reconcile(done.batch, done.job, done.tries)
                    if done.job is not None
                    else failed(done.batch, done.reason or "")
                )
            ]
        )

    def _record(self, outcomes: list[RowOutcome]) -> None:
        assert self.ledger is not None
        self.ledger.record(outcomes)
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
