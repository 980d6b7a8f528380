"""Reading the warehouse's activity tables in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from zdsync.records import records


def table(db: Path, name: str) -> list[dict[str, Any]]:
    """Every row of ``zendesk.<name>``."""
    with duckdb.connect(str(db), read_only=True) as con:
        return records(con, f"SELECT * FROM zendesk.{name}")  # noqa: S608
