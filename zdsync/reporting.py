"""What the CLI shows while a run works and when it ends: progress, then a summary table.

On a terminal each resource gets a live line (records, requests, seconds spent waiting on the
API); otherwise progress goes to the log, one line per resource at most every few seconds.

This is the command line's rendering, with rich. The flows publish the same summaries
(``zdsync.summaries``) as Prefect table artifacts and import nothing from here.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.zendesk import ExtractSummary
from pipelines.zendesk.progress import StreamProgress
from zdsync.reverse_etl.push import PushSummary
from zdsync.status import Status
from zdsync.summaries import OUTCOMES, extract_rows

log = logging.getLogger("zdsync.progress")
LOG_EVERY_SECONDS = 5.0


class ExtractProgress:
    """A ``StreamProgress`` listener that renders to a terminal or to the log."""

    def __init__(self, console: Console | None = None, *, live: bool | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.live = sys.stderr.isatty() if live is None else live
        self._lock = threading.Lock()
        self._last_logged: dict[str, float] = {}
        self._tasks: dict[str, TaskID] = {}
        self._bars: Progress | None = None

    def __enter__(self) -> ExtractProgress:
        if self.live:
            self._bars = Progress(
                TextColumn("{task.description:<30}"),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self._bars.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bars is not None:
            self._bars.stop()

    def __call__(self, progress: StreamProgress) -> None:
        detail = (
            f"{progress.records:>9,} records  {progress.requests:>6,} requests  "
            f"{progress.waited_seconds:>6.1f}s waiting on the API"
            + ("  done" if progress.done else "")
        )
        with self._lock:
            if self._bars is not None:
                self._update_bar(progress.name, detail)
            else:
                self._log(progress, detail)

    def _update_bar(self, name: str, detail: str) -> None:
        assert self._bars is not None
        if name not in self._tasks:
            self._tasks[name] = self._bars.add_task(name, total=None, detail=detail)
        self._bars.update(self._tasks[name], detail=detail)

    def _log(self, progress: StreamProgress, detail: str) -> None:
        now = time.monotonic()
        if progress.done or now - self._last_logged.get(progress.name, 0.0) >= LOG_EVERY_SECONDS:
            self._last_logged[progress.name] = now
            log.info("%s: %s", progress.name, detail)


def summary_table(summary: ExtractSummary) -> Table:
    """One row per resource, and a total."""
    *resources, total = extract_rows(summary)
    table = Table(title="zdsync extract")
    for heading in total:
        table.add_column(heading, justify="left" if heading == "resource" else "right")
    for row in resources:
        table.add_row(*map(_cell, row.values()))
    table.add_row(*map(_cell, total.values()), style="bold")
    if summary.scrubbed_users:
        table.caption = f"personal data scrubbed for {summary.scrubbed_users} deleted users"
    return table


def _cell(value: Any) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def push_table(summary: PushSummary) -> Table:
    """The plan of a dry run, or the outcome of a push, with the reasons rows were refused."""
    totals = summary.totals
    if summary.dry_run:
        table = Table(title=f"zdsync push {summary.object} --dry-run (nothing was sent)")
        table.add_column("plan")
        table.add_column("rows", justify="right")
        for name, count in summary.plan.items():
            table.add_row(name, f"{count:,}")
    else:
        table = Table(title=f"zdsync push {summary.object}, run {summary.run_id}")
        table.add_column("outcome")
        table.add_column("rows", justify="right")
        for name in OUTCOMES:
            table.add_row(name, f"{getattr(totals, name):,}")
        if totals.deleted:
            table.add_row("deleted (--mirror)", f"{totals.deleted:,}")
        table.caption = (
            f"{totals.rows:,} rows, {totals.post_requests:,} write requests, {totals.jobs:,} jobs "
            f"({totals.failed_jobs} failed as a whole), {totals.too_many_jobs} TooManyJobs, "
            f"{totals.rate_limited} 429s, {totals.server_errors} 5xx, {totals.seconds:.1f}s"
        )
    for row_number, reason in summary.invalid[:20]:
        table.add_row(f"  row {row_number}", reason, style="dim")
    if len(summary.invalid) > 20:
        table.add_row(f"  ... {len(summary.invalid) - 20} more invalid rows", "", style="dim")
    return table


def plain_table(title: str, headings: list[str], rows: list[tuple[Any, ...]]) -> Table:
    """A plain table of ``rows`` under ``headings``; counts get thousands separators."""
    shown = Table(title=title, title_justify="left")
    for heading in headings:
        shown.add_column(heading)
    for row in rows:
        shown.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    return shown


def print_status(console: Console, status: Status) -> None:
    """``zdsync status``."""
    resources = [
        (
            r.name,
            r.position or "-",
            r.rows if r.rows is not None else "-",
            r.last_loaded_at or "-",
        )
        for r in status.resources
    ]
    headings = ["resource", "resumes from", "rows", "last load"]
    console.print(plain_table("Extract", headings, resources))
    for title, rows in (("Last pushes", status.pushes), ("Rows still failing", status.failing)):
        if rows:
            console.print(plain_table(title, list(rows[0]), [tuple(r.values()) for r in rows]))
