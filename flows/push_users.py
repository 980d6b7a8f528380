"""The reverse-ETL flow: push CRM users into Zendesk and publish the run's summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from flows.common import one_writer
from pipelines.zendesk import DEFAULT_DB
from zdsync.client.settings import Settings
from zdsync.options import push_options
from zdsync.progress import ProgressLines
from zdsync.reverse_etl.plan import Mode
from zdsync.reverse_etl.push import PushOptions
from zdsync.reverse_etl.push import push_users as push
from zdsync.summaries import push_row


@task
def push_task(options: PushOptions) -> dict[str, Any]:
    with one_writer(options.db):
        summary = push(Settings.load(), options, on_progress=ProgressLines(get_run_logger()))
    create_table_artifact(
        [push_row(summary)], key="zdsync-push-users", description=f"Run `{summary.run_id}`"
    )
    totals = summary.totals
    return {
        "run_id": summary.run_id,
        "created": totals.created,
        "updated": totals.updated,
        "unchanged": totals.unchanged,
        "failed": totals.failed,
        "invalid": totals.invalid,
    }


@flow(name="zdsync-push-users")
def push_users(
    input: Path | None = None,
    query: str | None = None,
    db: Path = DEFAULT_DB,
    mapping: Path | None = None,
    mode: Mode = "upsert",
    dry_run: bool = False,
    single: bool = False,
) -> dict[str, Any]:
    """Create or update Zendesk users from a CRM file or query (``single``: one request each)."""
    options = push_options(
        input=input, query=query, db=db, mapping=mapping, mode=mode, dry_run=dry_run, single=single
    )
    return push_task(options)


if __name__ == "__main__":
    push_users()
