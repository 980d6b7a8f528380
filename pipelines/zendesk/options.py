"""How to run an extract: ``ExtractOptions``, and where the warehouse lives by default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.zendesk.streams import RESOURCE_NAMES

# Not zendesk.duckdb: DuckDB names a file's catalog after it, and a catalog called "zendesk"
# beside the schema "zendesk" makes every "zendesk.tickets" ambiguous.
DEFAULT_DB = Path("data/zdsync.duckdb")
DATASET = "zendesk"
RESERVED_FILE_STEMS = ("zendesk", "reverse_etl", "extract_log")


@dataclass(frozen=True)
class ExtractOptions:
    """How to run.

    Attributes:
        db_path: DuckDB file (ignored for other destinations).
        resources: Which resources to extract.
        start_date: Where exports begin when no position is saved.
        full_refresh: Drop the selected resources' tables and positions first.
        batch_records: Records per committed batch of a long backfill.
        prefetch_pages: Pages fetched ahead of loading, per stream. None: a batch's worth when
            pages wait as files (the DuckDB destination), so the next batch is fetched while
            one loads; two when they wait in memory as Arrow tables (other destinations).
        destination: A dlt destination name; None means DuckDB at ``db_path``.
        ratings_lookback_days: Days before the newest satisfaction rating loaded from which
            each run reads the ratings again; None: the stream's own (28).
    """

    db_path: Path = DEFAULT_DB
    resources: tuple[str, ...] = RESOURCE_NAMES
    start_date: date | None = None
    full_refresh: bool = False
    batch_records: int = 50_000
    prefetch_pages: int | None = None
    destination: str | None = None
    ratings_lookback_days: int | None = None
