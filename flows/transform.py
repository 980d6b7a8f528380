"""The transform flow: run the SQL models."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from flows.common import one_writer
from pipelines.zendesk import DEFAULT_DB
from zdsync.options import extract_options
from zdsync.summaries import model_rows
from zdsync.transform import run_models


@task
def run_models_task(db: Path) -> list[str]:
    # The extract's destination: ZDSYNC_DESTINATION in the worker's environment, else the file.
    destination = extract_options(db=db).destination
    with one_writer(db):
        runs = run_models(db, destination=destination)
    create_table_artifact(model_rows(runs), key="zdsync-transform")
    return [run.name for run in runs]


@flow(name="zdsync-transform")
def transform(db: Path = DEFAULT_DB) -> list[str]:
    """Rebuild the analytics schema from the raw tables, where the extract loads them."""
    return run_models_task(db)


if __name__ == "__main__":
    transform()
