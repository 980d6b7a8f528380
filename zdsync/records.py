"""Query results as dicts keyed by column name, the shape every reader here wants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def records(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """Run ``sql`` and return one dict per row."""
    result = con.execute(sql, list(params))
    names = [column[0] for column in result.description or []]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
