"""The HTML report as a task of the sync flow, linked from the run as an artifact."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_link_artifact

from flows.common import one_writer


@task
def write_report_task(db: Path) -> Path:
    """Write ``db``'s report beside it and link it from the flow run; the report's path."""
    # Here, not at the top: plotly and pandas take a second to import that other flows need not.
    from zdsync.report import write_report

    # DuckDB lets no process read a file another writes: wait for the writer's slot.
    with one_writer(db):
        written = write_report(db)
    create_link_artifact(
        link=written.as_uri(),
        link_text=written.name,
        key="zdsync-report",
        description="The models' charts: backlog, volume, GDPR deletions, sync health.",
    )
    return written
