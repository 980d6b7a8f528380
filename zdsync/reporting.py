"""What the CLI shows while a run works and when it ends: progress, then a summary table.

On a terminal a run gets a live table, a row per resource (records, pages, requests, 429s,
seconds waiting on the API) or per push (rows, jobs); otherwise progress goes to the log, one
line per resource at most every few seconds (``zdsync.progress``).

This is the command line's rendering, with rich. The flows publish the same summaries
(``zdsync.summaries``) as Prefect table artifacts and import nothing from here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from pipelines.zendesk import ExtractSummary
from zdsync.progress import ProgressLines, Watched, figures
from zdsync.reverse_etl.push import PushSummary
from zdsync.status import Status
from zdsync.summaries import OUTCOMES, extract_rows


class LiveProgress:
    """A progress display: a live table on a terminal, one-line log messages elsewhere.

    Args:
        console: Where the table goes; standard error by default.
        live: Whether to draw the table; by default when ``console`` is a terminal.
    """

    def __init__(self, console: Console | None = None, *, live: bool | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.live = self.console.is_terminal if live is None else live
        self._lock = threading.Lock()
        self._latest: dict[str, Watched] = {}
        self._started = time.monotonic()
        self._lines = ProgressLines()
        self._display: Live | None = None

    def __enter__(self) -> LiveProgress:
        if self.live:
            self._display = Live(
                get_renderable=self._table, console=self.console, refresh_per_second=4
            )
            self._display.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._display is not None:
            self._display.stop()

    def __call__(self, progress: Watched) -> None:
        if self._display is None:
            self._lines(progress)
            return
        with self._lock:
            self._latest[progress.name] = replace(progress, listener=None)

    def _table(self) -> Table:
        with self._lock:
            shown = list(self._latest.values())
        elapsed = time.monotonic() - self._started
        table = Table(title=f"zdsync, {elapsed:.0f}s", title_justify="left", box=None)
        headings = list(figures(shown[0])) if shown else []
        table.add_column("")
        for heading in headings:
            table.add_column(heading, justify="right")
        table.add_column("")
        for progress in shown:
            values = figures(progress).values()
            table.add_row(progress.name, *values, "done" if progress.done else "...")
        return table


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
            f"{r.last_loaded_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
            if r.last_loaded_at
            else "-",
        )
        for r in status.resources
    ]
    headings = ["resource", "resumes from", "rows", "last load"]
    console.print(plain_table("Extract", headings, resources))
    for title, rows in (("Last pushes", status.pushes), ("Rows still failing", status.failing)):
        if rows:
            console.print(plain_table(title, list(rows[0]), [tuple(r.values()) for r in rows]))
