"""The extract flow: ``zdsync extract`` on a schedule.

Nothing here retries: the client already retries each request with backoff, and a run it gives up
on fails with an ``ExtractRunAgainLaterError``. The next scheduled run resumes from the positions
the failed one committed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from flows.common import one_writer
from pipelines.zendesk import DEFAULT_DB, EXPORT_NAMES, ExtractOptions, run_extract, runtime
from zdsync.client.settings import Settings
from zdsync.options import extract_options
from zdsync.progress import ProgressLines
from zdsync.summaries import extract_rows

EXPORT_STREAMS = list(EXPORT_NAMES)


@task
def run_extract_task(options: ExtractOptions) -> dict[str, Any]:
    with one_writer(options.db_path):
        progress = ProgressLines(get_run_logger())
        summary = run_extract(Settings.load(), options, on_progress=progress)
    scrubbed = f"Personal data scrubbed for {summary.scrubbed_users} deleted users."
    create_table_artifact(
        extract_rows(summary),
        key="zdsync-extract",
        description=scrubbed if summary.scrubbed_users else None,
    )
    return {
        "resources": {
            r.name: {"new": r.new_rows, "updated": r.updated_rows} for r in summary.resources
        },
        "requests": summary.requests,
        "rate_limited": summary.rate_limited,
        "scrubbed_users": summary.scrubbed_users,
        "destination": options.destination,
    }


@flow(name="zdsync-extract", log_prints=False)
def extract(
    resources: list[str] = EXPORT_STREAMS,
    db: Path = DEFAULT_DB,
    start_date: date | None = None,
    full_refresh: bool = False,
    batch_records: int = 50_000,
    ratings_lookback_days: int | None = None,
) -> dict[str, Any]:
    """Load what changed in Zendesk since the last run.

    ``ZDSYNC_DESTINATION`` in the worker's environment loads another dlt destination instead of
    the DuckDB file ``db``, as ``zdsync extract`` does.
    """
    runtime.prepare()
    options = extract_options(
        db=db,
        resources=resources,
        start_date=start_date,
        full_refresh=full_refresh,
        batch_records=batch_records,
        ratings_lookback_days=ratings_lookback_days,
    )
    return run_extract_task(options)


if __name__ == "__main__":
    extract()
