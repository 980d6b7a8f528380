"""What every flow shares: one DuckDB writer at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency


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
