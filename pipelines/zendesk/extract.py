"""One extract run: every chosen stream, phase by phase, then the GDPR scrub.

Each stream's kind (``exports.py``, ``lists.py``) does its stream's part; the run starts their
fetches, commits each batch through the dlt source (``resources.py``), and sums up. Exports load
in batches while the lists are fetched beside them; the lists load after the exports.

This is what ``zdsync extract``, the Prefect flows and the tests call.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.zendesk import runtime, streams
from pipelines.zendesk.convert import Converter, JsonLinesConverter, Parsers
from pipelines.zendesk.failures import extract_error
from pipelines.zendesk.gdpr import scrub
from pipelines.zendesk.options import RESERVED_FILE_STEMS, ExtractOptions
from pipelines.zendesk.pipeline import (
    drop_normalized_twins,
    make_pipeline,
    open_warehouse,
    saved_state,
)
from pipelines.zendesk.progress import BatchBudget, StreamProgress
from pipelines.zendesk.resources import StreamLoad, zendesk
from pipelines.zendesk.run_log import record_run
from pipelines.zendesk.snapshots import mark_gone
from pipelines.zendesk.state import StateVersionError
from pipelines.zendesk.stream import Phase, RunContext, Stream, Task
from pipelines.zendesk.summary import ExtractSummary, ResourceSummary
from pipelines.zendesk.warehouse import Warehouse
from zdsync.client import Settings, ZendeskClient
from zdsync.client.errors import ZendeskError
from zdsync.client.stats import endpoint_of
from zdsync.errors import ExtractError, first_line

log = logging.getLogger(__name__)

ProgressCallback = Callable[[StreamProgress], None]


def run_extract(
    settings: Settings,
    options: ExtractOptions | None = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> ExtractSummary:
    """Run one extract and return what it did. Raises ``ExtractError`` with a one-line reason.

    Args:
        settings: Where Zendesk is and how to talk to it.
        options: What to extract, and where to; every default when None.
        on_progress: Told each time a chosen stream moves (a progress bar).
    """
    options = options or ExtractOptions()
    check(options)
    runtime.prepare(arrow=bool(options.destination))
    with ZendeskClient(settings) as client:
        try:
            extract = ExtractRun(client, options, on_progress)
        except duckdb.Error as exc:
            # Most often another process holds the file: DuckDB allows one writer.
            raise ExtractError(f"cannot open {options.db_path}: {first_line(exc)}") from None
        try:
            return extract.run()
        except (PipelineStepFailed, ZendeskError, StateVersionError) as exc:
            raise extract_error(exc) from None
        finally:
            extract.close()


def check(options: ExtractOptions) -> None:
    """Refuse options no run can honour, before anything is opened."""
    unknown = set(options.resources) - set(streams.resource_names())
    if unknown:
        raise ExtractError(f"unknown resources: {', '.join(sorted(unknown))}")
    if not options.destination and options.db_path.stem in RESERVED_FILE_STEMS:
        raise ExtractError(
            f"choose another name than {options.db_path.name}: DuckDB would confuse the "
            f"file's catalog with the schema {options.db_path.stem}"
        )


class ExtractRun:
    """The streams of one run, their tasks, and the pipeline that loads them."""

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
        self._converters: list[Converter] = []
        self._parsers = Parsers()
        loaded = streams.loaded_with(options.resources)
        # Streams that follow another load with it and are counted with it, not on their own.
        self.summarised = [stream.name for stream in loaded if stream.fetch.follows is None]
        self.context = RunContext(
            client=client,
            start_time=_epoch(options.start_date),
            full_refresh=options.full_refresh,
            converter=self._converter,
            progress=self._progress,
            saved_state=self._saved_state,
            has_table=self.warehouse.has_table,
            prefetch_pages=self._prefetch_pages,
            lookback_days=options.ratings_lookback_days,
        )
        for stream in [*streams.fetched_with(loaded), *loaded]:
            self.context.tasks[stream.name] = stream.fetch.start(stream, self.context)
        self.loading = [self.context.tasks[stream.name] for stream in loaded]
        self.finished_at: dict[str, float] = {}

    def run(self) -> ExtractSummary:
        self._finish_pending()
        before = {} if self.options.full_refresh else self.warehouse.row_counts(self.summarised)
        for task in self.context.tasks.values():
            task.fetch_ahead()
        for phase in Phase:
            self._load([task for task in self.loading if task.stream.fetch.phase is phase])
        mark_gone(self.warehouse, [task.stream for task in self.loading], self._saved_state)
        scrubbed = scrub(self.warehouse)
        summary = self._summary(before, scrubbed)
        if self.connection is not None:
            record_run(self.connection, summary)
        log.info(
            "extract finished: %d new and %d updated rows in %d requests (%d rate-limited)",
            summary.new_rows,
            summary.updated_rows,
            summary.requests,
            summary.rate_limited,
        )
        return summary

    def close(self) -> None:
        self.context.stop.set()
        for task in self.context.tasks.values():
            task.close()
        for converter in self._converters:
            converter.close()
        self._parsers.close()
        if self.connection is not None:
            self.connection.close()
        shutil.rmtree(self.pages_dir, ignore_errors=True)

    def _finish_pending(self) -> None:
        # A run killed after extracting but before loading left packages behind, each with the
        # positions of its own rows: load them first, so nothing is fetched twice or lost.
        if self.pipeline.has_pending_data:
            log.info("loading batches a previous run extracted but did not load")
            drop_normalized_twins(self.pipeline)
            self.pipeline.normalize()
            self.pipeline.load()

    def _load(self, tasks: list[Task]) -> None:
        """Run batches of ``tasks`` until none has more to load."""
        first = True
        while True:
            budget = BatchBudget(self.options.batch_records)
            files = not self.options.destination
            loads = [
                StreamLoad(task.stream, items, streams.derived_from(task.stream.name), files)
                for task in tasks
                if not task.done and (items := task.batch(budget)) is not None
            ]
            if not loads:
                return
            refresh = "drop_resources" if first and self.options.full_refresh else None
            self.pipeline.run(zendesk(loads), refresh=refresh)
            first = False
            now = time.monotonic() - self.started
            for task in tasks:
                task.loaded()
                if task.done:
                    self.finished_at.setdefault(task.stream.name, now)

    def _converter(self, stream: Stream) -> Converter:
        if self.options.destination:
            return self._table_converter(stream)
        converter = JsonLinesConverter(stream, self.pages_dir, self._parsers)
        self._converters.append(converter)
        return converter

    def _table_converter(self, stream: Stream) -> Converter:
        # Imported here: Arrow's libraries cost memory a run without them never needs.
        from pipelines.zendesk.arrow import ArrowConverter

        converter = ArrowConverter(stream, self._parsers)
        self._converters.append(converter)
        return converter

    def _progress(self, name: str) -> StreamProgress:
        if self.on_progress is None or name not in self.summarised:
            return StreamProgress(name)
        told = self.on_progress
        stats = self.client.stats
        endpoint = endpoint_of(streams.STREAMS[name].path)

        def counted(progress: StreamProgress) -> None:
            progress.sent = stats.count(endpoint=endpoint)
            progress.rate_limited = stats.rate_limited(endpoint=endpoint)
            told(progress)

        return StreamProgress(name, listener=counted)

    def _saved_state(self, name: str) -> Mapping[str, Any]:
        found: Mapping[str, Any] = saved_state(self.pipeline).get(name, {})
        return found

    def _prefetch_pages(self, stream: Stream) -> int:
        if self.options.prefetch_pages is not None:
            return self.options.prefetch_pages
        if self.options.destination:
            return 2
        return max(2, self.options.batch_records // stream.per_page)

    def _summary(self, before: dict[str, int], scrubbed: int) -> ExtractSummary:
        after = self.warehouse.row_counts(self.summarised)
        elapsed = time.monotonic() - self.started
        summary = ExtractSummary(scrubbed_users=scrubbed, seconds=elapsed)
        for name in self.summarised:
            task = self.context.tasks[name]
            progress = task.progress
            new = after.get(name, 0) - before.get(name, 0)
            endpoint = endpoint_of(task.stream.path)
            summary.resources.append(
                ResourceSummary(
                    name=name,
                    new_rows=new,
                    updated_rows=0 if progress.unchanged else max(progress.records - new, 0),
                    records=progress.records,
                    requests=progress.requests,
                    rate_limited=self.client.stats.rate_limited(endpoint=endpoint),
                    waited_seconds=progress.waited_seconds,
                    fetch_seconds=progress.fetch_seconds,
                    seconds=self.finished_at.get(name, elapsed),
                )
            )
        summary.requests = self.client.stats.total
        summary.rate_limited = self.client.stats.rate_limited()
        return summary


def _epoch(start: date | None) -> int:
    if start is None:
        return 0
    return int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
