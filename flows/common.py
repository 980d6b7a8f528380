"""What every flow shares: one DuckDB writer at a time, logs into Prefect, settings."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency
from prefect.logging.handlers import APILogHandler

from pipelines.zendesk import DEFAULT_DB

# Loggers whose records should reach Prefect's run logs.
FORWARDED_LOGGERS = ("dlt", "pipelines", "zdsync")
DEFAULT_DB_PATH = str(DEFAULT_DB)


def writer_limit_name(db: Path) -> str:
    """The concurrency limit guarding one DuckDB file, the same on every worker."""
    digest = hashlib.sha256(str(db.resolve()).encode()).hexdigest()[:12]
    return f"duckdb-writer-{db.stem}-{digest}"


@contextmanager
def one_writer(db: Path) -> Iterator[None]:
    """Hold the file's single writer slot: DuckDB allows one writing process per file."""
    name = writer_limit_name(db)
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, 1)
    with concurrency(name, occupy=1, strict=True):
        yield


@contextmanager
def forward_logs() -> Iterator[None]:
    """Send dlt's and zdsync's log records to the Prefect run while the block runs."""
    handler = APILogHandler()
    handler.setLevel(logging.INFO)
    # dlt installs its own record format; Prefect's UI already shows time and level.
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in FORWARDED_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
