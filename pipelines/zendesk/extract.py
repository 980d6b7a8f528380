"""One extract run: every selected stream, batch by batch, then the lists, field definitions
and GDPR scrub. The lists and definitions are fetched while the exports run (``prefetch.py``).

This is what ``zdsync extract``, the Prefect flows and the tests call.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.extract.exceptions import ResourceExtractionError
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.zendesk import resources as res
from pipelines.zendesk.convert import Converter, JsonLinesConverter
from pipelines.zendesk.destination import TypedDuckDb
from pipelines.zendesk.gdpr import needs_scrub, scrub_statement
from pipelines.zendesk.prefetch import Prefetch
from pipelines.zendesk.state import StateVersionError
from pipelines.zendesk.streams import (
    COMPLIANCE_DELETION_STATUSES,
    DELETED_USERS,
    EXPORTS,
    FIELD_DEFINITIONS,
    RESOURCE_NAMES,
    STREAMS,
    Stream,
)
from pipelines.zendesk.warehouse import Warehouse
from zdsync.client import Settings, ZendeskClient
from zdsync.client.errors import RetryLaterError, ZendeskError
from zdsync.errors import ExtractError, first_line

log = logging.getLogger(__name__)

# Not zendesk.duckdb: DuckDB names a file's catalog after it, and a catalog called "zendesk"
# beside the schema "zendesk" makes every "zendesk.tickets" ambiguous.
DEFAULT_DB = Path("data/zdsync.duckdb")
DATASET = "zendesk"
RESERVED_FILE_STEMS = ("zendesk", "reverse_etl")
_M_ARENA_MAX = -8  # glibc's mallopt parameter number


@dataclass(frozen=True)
class ExtractOptions:
    """How to run.

    Attributes:
        db_path: DuckDB file (ignored for other destinations).
        resources: Which resources to extract.
        start_date: Where exports begin when no position is saved.
        full_refresh: Drop the selected resources' tables and positions first.
        batch_records: Records per committed batch of a long backfill.
        prefetch_pages: Pages fetched ahead of loading, per stream. None: a batch's worth when
            pages wait as files (the DuckDB destination), so the next batch is fetched while
            one loads; two when they wait in memory as Arrow tables (other destinations).
        destination: A dlt destination name; None means DuckDB at ``db_path``.
    """

    db_path: Path = DEFAULT_DB
    resources: tuple[str, ...] = RESOURCE_NAMES
    start_date: date | None = None
    full_refresh: bool = False
    batch_records: int = 50_000
    prefetch_pages: int | None = None
    destination: str | None = None


@dataclass
class ResourceSummary:
    name: str
    new_rows: int = 0
    updated_rows: int = 0
    records: int = 0
    requests: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0
    fetch_seconds: float = 0.0
    seconds: float = 0.0


@dataclass
class ExtractSummary:
    resources: list[ResourceSummary] = field(default_factory=list)
    scrubbed_users: int = 0
    requests: int = 0
    rate_limited: int = 0
    seconds: float = 0.0

    @property
    def new_rows(self) -> int:
        return sum(r.new_rows for r in self.resources)

    @property
    def updated_rows(self) -> int:
        return sum(r.updated_rows for r in self.resources)


ProgressCallback = Callable[[res.StreamProgress], None]


def run_extract(
    settings: Settings,
    options: ExtractOptions = ExtractOptions(),
    *,
    on_progress: ProgressCallback | None = None,
) -> ExtractSummary:
    """Run one extract and return what it did. Raises ``ExtractError`` with a one-line reason."""
    unknown = set(options.resources) - set(RESOURCE_NAMES)
    if unknown:
        raise ExtractError(f"unknown resources: {', '.join(sorted(unknown))}")
    if not options.destination and options.db_path.stem in RESERVED_FILE_STEMS:
        raise ExtractError(
            f"choose another name than {options.db_path.name}: DuckDB would confuse the "
            f"file's catalog with the schema {options.db_path.stem}"
        )
    with ZendeskClient(settings) as client:
        try:
            extract = _Extract(client, options, on_progress)
        except duckdb.Error as exc:
            # Most often another process holds the file: DuckDB allows one writer.
            raise ExtractError(f"cannot open {options.db_path}: {first_line(exc)}") from None
        try:
            return extract.run()
        except PipelineStepFailed as exc:
            raise ExtractError(_reason(exc), transient=_transient(exc)) from None
        except (ZendeskError, StateVersionError) as exc:
            raise ExtractError(str(exc), transient=_transient(exc)) from None
        finally:
            extract.close()


def keep_memory_flat() -> None:
    """Hand freed memory back to the system between batches.

    glibc's per-thread arenas keep freed pages for reuse; over a long backfill with several
    threads that reads as growth. Two arenas cost nothing measurable in throughput here.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 2)
        except (OSError, AttributeError):
            log.debug("could not limit malloc arenas")


def _transient(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RetryLaterError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(exc: BaseException) -> str:
    """The root cause a user can act on, in one line, with the resource it arose in."""
    seen: BaseException | None = exc
    resource = None
    root = exc
    while seen is not None:
        if isinstance(seen, ZendeskError | StateVersionError):
            return str(seen)
        if isinstance(seen, ResourceExtractionError):
            resource = seen.pipe_name
        root = seen
        seen = seen.__cause__ or seen.__context__
    # DuckDB names the in-memory copy of the page it was reading, which means nothing to a user.
    reason = re.sub(r' in file "DUCKDB_INTERNAL_[^"]*",', "", first_line(root))
    return f"{resource}: {reason}" if resource else reason


class _Extract:
    def __init__(
        self, client: ZendeskClient, options: ExtractOptions, on_progress: ProgressCallback | None
    ) -> None:
        self.client = client
        self.options = options
        self.on_progress = on_progress
        self.started = time.monotonic()
        self.connection = None if options.destination else open_warehouse(options.db_path)
        try:
            self.pipeline = make_pipeline(options, self.connection)
        except BaseException:
            if self.connection is not None:
                self.connection.close()
            raise
        self.warehouse = Warehouse(self.pipeline)
        # Files for dlt to import; any left here by a killed run were already linked into its
        # package, or belonged to a batch that will be fetched again.
        self.pages_dir = Path(self.pipeline.working_dir) / "pages"
        shutil.rmtree(self.pages_dir, ignore_errors=True)
        start = _epoch(options.start_date)
        self.streams = {
            name: res.StreamRun(
                EXPORTS[name],
                client,
                start,
                self._progress(name),
                self._new_converter,
                _prefetch_depth(options, EXPORTS[name]),
            )
            for name in options.resources
            if name in EXPORTS
        }
        self.deleted = res.DeletedUsers(client, self._progress(DELETED_USERS.name))
        self.compliance = self._progress(COMPLIANCE_DELETION_STATUSES.name)
        self.compliance_statuses: Prefetch[res.ComplianceStatuses] | None = None
        self.definitions = {
            name: Prefetch(partial(res.definition_rows, client, stream), name=stream.name)
            for name, stream in FIELD_DEFINITIONS.items()
            if name in self.streams
        }
        self.finished_at: dict[str, float] = {}
        self._converters: list[Converter] = []

    def _progress(self, name: str) -> res.StreamProgress:
        return res.StreamProgress(name, listener=self.on_progress)

    def run(self) -> ExtractSummary:
        self._finish_pending()
        names = list(self.options.resources)
        before = {} if self.options.full_refresh else self.warehouse.row_counts(names)
        self._fetch_ahead()
        first = True
        while self._active():
            self._round(first)
            first = False
        self._lists()
        self._field_definitions()
        scrubbed = self._scrub()
        summary = self._summary(names, before, scrubbed)
        log.info(
            "extract finished: %d new and %d updated rows in %d requests (%d rate-limited)",
            summary.new_rows,
            summary.updated_rows,
            summary.requests,
            summary.rate_limited,
        )
        return summary

    def close(self) -> None:
        self.deleted.stop.set()
        for stream in self.streams.values():
            stream.close()
        for converter in self._converters:
            converter.close()
        if self.connection is not None:
            self.connection.close()
        shutil.rmtree(self.pages_dir, ignore_errors=True)

    def _new_converter(self, stream: Stream) -> Converter:
        if self.options.destination:
            # Imported here: Arrow's libraries cost about 70 MB that the DuckDB path never needs.
            from pipelines.zendesk.arrow import ArrowConverter

            return ArrowConverter(stream)
        return JsonLinesConverter(stream, self.pages_dir)

    def _converter(self, stream: Stream) -> Converter:
        converter = self._new_converter(stream)
        self._converters.append(converter)
        return converter

    def _finish_pending(self) -> None:
        # A run killed after extracting but before loading left packages behind, each with the
        # positions of its own rows: load them first, so nothing is fetched twice or lost.
        if self.pipeline.has_pending_data:
            log.info("loading batches a previous run extracted but did not load")
            self.pipeline.normalize()
            self.pipeline.load()

    def _active(self) -> list[res.StreamRun]:
        return [run for run in self.streams.values() if not run.progress.done]

    def _round(self, first: bool) -> None:
        budget = res.BatchBudget(self.options.batch_records)
        batch = [res.export_resource(run, budget) for run in self._active()]
        refresh = "drop_resources" if first and self.options.full_refresh else None
        self.pipeline.run(batch, refresh=refresh)
        now = time.monotonic() - self.started
        for name, run in self.streams.items():
            run.forget_handed()
            if run.progress.done:
                self.finished_at.setdefault(name, now)

    def _fetch_ahead(self) -> None:
        """Start fetching what is known to be needed and spends only the account budget."""
        chosen = self.options.resources
        if COMPLIANCE_DELETION_STATUSES.name in chosen:
            name = COMPLIANCE_DELETION_STATUSES.name
            # A full refresh drops the saved state along with the table.
            saved = {} if self.options.full_refresh else self._saved_state(name)
            fetch = partial(
                res.fetch_compliance_statuses,
                self.deleted,
                self._converter(COMPLIANCE_DELETION_STATUSES),
                self.compliance,
                res.saved_complete_user_ids(saved),
            )
            self.compliance_statuses = Prefetch(fetch, name=name)
            self.compliance_statuses.start()
        elif DELETED_USERS.name in chosen:
            self.deleted.fetched.start()
        # Definitions whose table is missing are loaded whatever the exports bring.
        for name, fetched in self.definitions.items():
            if not self.warehouse.has_table(FIELD_DEFINITIONS[name].name):
                fetched.start()

    def _saved_state(self, resource: str) -> dict[str, Any]:
        sources = self.pipeline.state.get("sources", {})
        saved: dict[str, Any] = sources.get(self.pipeline.pipeline_name, {})
        return saved.get("resources", {}).get(resource, {})  # type: ignore[no-any-return]

    def _lists(self) -> None:
        # Loaded in a batch of their own, after the exports, so no load holds both at once.
        batch = self._list_resources()
        if batch:
            refresh = "drop_resources" if self.options.full_refresh else None
            self.pipeline.run(batch, refresh=refresh)

    def _list_resources(self) -> list[Any]:
        chosen = []
        if DELETED_USERS.name in self.options.resources:
            chosen.append(
                _resource(
                    DELETED_USERS, res.deleted_users, self.deleted, self._converter(DELETED_USERS)
                )
            )
        if self.compliance_statuses is not None:
            chosen.append(
                _resource(
                    COMPLIANCE_DELETION_STATUSES,
                    res.compliance_deletion_statuses,
                    self.compliance_statuses,
                )
            )
        return chosen

    def _field_definitions(self) -> None:
        # Definitions change rarely; fetch them only when records that use them arrived, so a
        # run with nothing new costs one request per export stream.
        wanted = [
            name
            for name, run in self.streams.items()
            if name in FIELD_DEFINITIONS
            and (run.progress.records or not self.warehouse.has_table(FIELD_DEFINITIONS[name].name))
        ]
        if not wanted:
            return
        batch = [
            dlt.resource(
                res.definitions,
                name=FIELD_DEFINITIONS[name].name,
                primary_key="id",
                write_disposition="replace",
                columns=res.column_hints(FIELD_DEFINITIONS[name]),
            )(self.definitions[name], self._converter(FIELD_DEFINITIONS[name]))
            for name in wanted
        ]
        self.pipeline.run(batch)

    def _scrub(self) -> int:
        if not (self.warehouse.has_table("users") and self.warehouse.has_table("deleted_users")):
            return 0
        users = self.warehouse.qualified("users")
        deleted = self.warehouse.qualified("deleted_users")
        count = self.warehouse.count(users, needs_scrub(deleted))
        if count:
            self.warehouse.execute(scrub_statement(users, deleted))
            log.info("scrubbed personal data of %d permanently deleted users", count)
        return count

    def progress(self) -> dict[str, res.StreamProgress]:
        current = {name: run.progress for name, run in self.streams.items()}
        if DELETED_USERS.name in self.options.resources:
            current[DELETED_USERS.name] = self.deleted.progress
        if COMPLIANCE_DELETION_STATUSES.name in self.options.resources:
            current[COMPLIANCE_DELETION_STATUSES.name] = self.compliance
        return current

    def _summary(self, names: list[str], before: dict[str, int], scrubbed: int) -> ExtractSummary:
        after = self.warehouse.row_counts(names)
        elapsed = time.monotonic() - self.started
        summary = ExtractSummary(scrubbed_users=scrubbed, seconds=elapsed)
        for name, progress in self.progress().items():
            new = after.get(name, 0) - before.get(name, 0)
            summary.resources.append(
                ResourceSummary(
                    name=name,
                    new_rows=new,
                    updated_rows=max(progress.records - new, 0),
                    records=progress.records,
                    requests=progress.requests,
                    rate_limited=self._rate_limited(name),
                    waited_seconds=progress.waited_seconds,
                    fetch_seconds=progress.fetch_seconds,
                    seconds=self.finished_at.get(name, elapsed),
                )
            )
        summary.requests = self.client.stats.total
        summary.rate_limited = self.client.stats.rate_limited()
        return summary

    def _rate_limited(self, name: str) -> int:
        endpoint = STREAMS[name].path.replace("{user_id}", "{id}")
        return self.client.stats.rate_limited(endpoint=endpoint)


def _resource(stream: Stream, function: Callable[..., Iterator[Any]], *args: Any) -> Any:
    return dlt.resource(
        function,
        name=stream.name,
        primary_key=list(stream.primary_key),
        write_disposition="merge",
        columns=res.column_hints(stream),
    )(*args)


def _prefetch_depth(options: ExtractOptions, stream: Stream) -> int:
    if options.prefetch_pages is not None:
        return options.prefetch_pages
    if options.destination:
        return 2
    return max(2, options.batch_records // stream.page_size)


def _epoch(start: date | None) -> int:
    if start is None:
        return 0
    return int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())


class _QuietArrowHints(logging.Filter):
    """Drop dlt's notice that JSON columns arrive as Arrow strings: the hint is deliberate."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema" not in record.getMessage()


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """The DuckDB file, opened once for a whole run and shared by every load job.

    Left to itself dlt opens and closes the file around each load job, and each close
    checkpoints: a 50,000-ticket batch then spent longer opening, checkpointing and closing than
    inserting. Held open, the file checkpoints when its log fills and once at the end; a killed
    run's committed work is replayed from the log on the next open.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        str(path),
        config={
            # Merges spill to disk past this rather than grow with the batch; one thread keeps
            # scan buffers to one set; row order within a table carries no meaning, so DuckDB
            # need not keep it.
            "memory_limit": os.environ.get("ZDSYNC_DUCKDB_MEMORY", "64MB"),
            "preserve_insertion_order": False,
            "threads": int(os.environ.get("ZDSYNC_DUCKDB_THREADS", "1")),
        },
    )


def make_pipeline(
    options: ExtractOptions, warehouse: duckdb.DuckDBPyConnection | None = None
) -> Any:
    """The dlt pipeline for ``options``: DuckDB at ``db_path`` unless another destination.

    ``warehouse``, from ``open_warehouse``, is the connection the loads use; without one dlt
    opens the file itself for each job.
    """
    dlt_log = logging.getLogger("dlt")
    if not any(isinstance(f, _QuietArrowHints) for f in dlt_log.filters):
        dlt_log.addFilter(_QuietArrowHints())
    # The merge staging tables hold the last batch's rows, personal data included: empty them
    # after each load. Finished load packages are deleted for the same reason.
    dlt.config["load.truncate_staging_dataset"] = True
    dlt.config["load.delete_completed_jobs"] = True
    # One load job at a time: parallel jobs would each hold a table's batch in memory, and the
    # single DuckDB writer serialises them anyway.
    dlt.config["load.workers"] = 1
    if options.destination:
        destination: Any = options.destination
        working_dir = options.db_path.parent / f".zendesk-{options.destination}.dlt"
    else:
        if warehouse is None:
            options.db_path.parent.mkdir(parents=True, exist_ok=True)
            credentials = DuckDbCredentials(str(options.db_path))
        else:
            credentials = DuckDbCredentials(warehouse)
        destination = TypedDuckDb(credentials, destination_name="duckdb")
        working_dir = options.db_path.parent / f".{options.db_path.stem}.dlt"
    return dlt.pipeline(
        pipeline_name="zendesk",
        destination=destination,
        dataset_name=DATASET,
        pipelines_dir=str(working_dir),
    )
