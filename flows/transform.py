"""The transform flow: run the SQL models."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.common import DEFAULT_DB_PATH, one_writer
from zdsync.transform import run_models


@task
def run_models_task(db: str) -> list[str]:
    with one_writer(Path(db)):
        runs = run_models(Path(db))
    table = ["| model | seconds |", "| --- | ---: |"]
    table += [f"| {run.name} | {run.seconds:.2f} |" for run in runs]
    create_markdown_artifact("\n".join(table), key="zdsync-transform")
    return [run.name for run in runs]


@flow(name="zdsync-transform")
def transform(db: str = DEFAULT_DB_PATH) -> list[str]:
    """Rebuild the analytics schema from the raw tables."""
    return run_models_task(db)


if __name__ == "__main__":
    transform()
