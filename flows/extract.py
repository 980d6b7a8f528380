"""The extract flow: ``zdsync extract`` on a schedule, retried when the failure is transient."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.common import DEFAULT_DB_PATH, forward_logs, one_writer
from pipelines.zendesk import EXPORT_NAMES, ExtractOptions, run_extract, runtime
from zdsync.client.settings import Settings
from zdsync.errors import ExtractError
from zdsync.options import extract_options
from zdsync.reporting import extract_markdown

EXPORT_STREAMS = list(EXPORT_NAMES)


def transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry 429s, 5xx and dropped connections; never bad credentials or settings."""
    try:
        state.result()
    except ExtractError as exc:
        return exc.transient
    except Exception:  # anything else is a bug or a setting: retrying will not help
        return False
    return False


@task(retries=3, retry_delay_seconds=[30, 120, 600], retry_condition_fn=transient_only)
def run_extract_task(options: ExtractOptions) -> dict[str, Any]:
    with one_writer(options.db_path), forward_logs():
        summary = run_extract(Settings.load(), options)
    create_markdown_artifact(extract_markdown(summary), key="zdsync-extract")
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
    db: str = DEFAULT_DB_PATH,
    start_date: date | None = None,
    full_refresh: bool = False,
    batch_records: int = 50_000,
) -> dict[str, Any]:
    """Load what changed in Zendesk since the last run (unknown resources fail, unretried).

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
    )
    return run_extract_task(options)


if __name__ == "__main__":
    extract()
