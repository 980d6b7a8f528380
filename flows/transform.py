"""The transform flow: run the SQL models."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.common import DEFAULT_DB_PATH, forward_logs, one_writer
from zdsync.options import extract_options
from zdsync.transform import run_models


@task
def run_models_task(db: str) -> list[str]:
    # The extract's destination: ZDSYNC_DESTINATION in the worker's environment, else the file.
    destination = extract_options(db=db).destination
    with one_writer(Path(db)), forward_logs():
        runs = run_models(Path(db), destination=destination)
    table = ["| model | seconds |", "| --- | ---: |"]
    table += [f"| {run.name} | {run.seconds:.2f} |" for run in runs]
    create_markdown_artifact("\n".join(table), key="zdsync-transform")
    return [run.name for run in runs]


@flow(name="zdsync-transform")
def transform(db: str = DEFAULT_DB_PATH) -> list[str]:
    """Rebuild the analytics schema from the raw tables, where the extract loads them."""
    return run_models_task(db)


if __name__ == "__main__":
    transform()
