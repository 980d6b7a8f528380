"""The reverse-ETL flows: push CRM rows of one object into Zendesk and publish the run's summary.

``push_users`` keeps the users push's own name and entrypoint; ``push_records`` pushes any
object of ``zdsync.reverse_etl.objects.OBJECTS``.
"""

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
from zdsync.reverse_etl.push import PushOptions, push
from zdsync.summaries import push_row


@task(task_run_name="push-{object_name}")
def push_task(options: PushOptions, object_name: str = "users") -> dict[str, Any]:
    with one_writer(options.db):
        summary = push(
            Settings.load(), object_name, options, on_progress=ProgressLines(get_run_logger())
        )
    create_table_artifact(
        [push_row(summary)],
        key=f"zdsync-push-{object_name}",
        description=f"Run `{summary.run_id}`",
    )
    totals = summary.totals
    return {
        "run_id": summary.run_id,
        "object": object_name,
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


@flow(name="zdsync-push", flow_run_name="push-{object_name}")
def push_records(
    object_name: str,
    input: Path | None = None,
    query: str | None = None,
    db: Path = DEFAULT_DB,
    mapping: Path | None = None,
    mode: Mode = "upsert",
    dry_run: bool = False,
    mirror: bool = False,
) -> dict[str, Any]:
    """Create or update Zendesk records of ``object_name`` from a CRM file or query
    (``mirror``: identities only, delete those no row names)."""
    options = push_options(
        input=input,
        query=query,
        db=db,
        mapping=mapping,
        mode=mode,
        dry_run=dry_run,
        mirror=mirror,
    )
    return push_task(options, object_name)


if __name__ == "__main__":
    push_users()
