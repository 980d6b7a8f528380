"""The transform flow: run the SQL models."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task

from flows.common import DEFAULT_DB_PATH, forward_logs, one_writer
from zdsync.transform import run_models


@task
def run_models_task(db: str) -> list[str]:
    with one_writer(Path(db)), forward_logs():
        return [run.name for run in run_models(Path(db))]


@flow(name="zdsync-transform")
def transform(db: str = DEFAULT_DB_PATH) -> list[str]:
    """Rebuild the analytics schema from the raw tables."""
    return run_models_task(db)


if __name__ == "__main__":
    transform()
