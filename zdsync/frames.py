"""The warehouse as pandas DataFrames: any model, any table, or any SQL on the DuckDB file.

This is the analyst's way in, and what the HTML report (``zdsync.report``) draws from::

    from zdsync.frames import frame

    backlog = frame("ticket_backlog_daily", db="data/demo.duckdb")
    weekly = frame("SELECT week, sum(tickets) AS tickets FROM analytics.ticket_volume_by_channel "
                   "GROUP BY week ORDER BY week", db="data/demo.duckdb")
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.zendesk import DEFAULT_DB
from zdsync.errors import FixAndRunAgainError, first_line

MODELS_SCHEMA = "analytics"
# A bare name is a model; ``schema.name`` any table or view; anything else is SQL.
_TABLE_NAME = re.compile(r"^(?:(\w+)\.)?(\w+)$")


class FrameError(FixAndRunAgainError):
    """The file, the model or the SQL asked for is not there; the message says which."""


def frame(what: str, db: Path | str = DEFAULT_DB) -> pd.DataFrame:
    """One model, table or query result from the DuckDB file ``db``, as a DataFrame.

    The file is opened read-only, so this works while nothing writes to it (DuckDB lets one
    process write a file, and no other read it meanwhile).

    Args:
        what: A model's name (``ticket_backlog_daily``, in schema ``analytics``), a table or
            view with its schema (``zendesk.tickets``), or a SQL query.
        db: The DuckDB file the extract and the models wrote.

    Raises:
        FrameError: No such file, model or table, or the SQL failed; in one line.
    """
    db = Path(db)
    if not db.exists():
        raise FrameError(f"no database at {db}: run zdsync extract and zdsync transform first")
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return read(con, what)
    except duckdb.IOException as exc:
        raise FrameError(f"cannot read {db}: {first_line(exc)}") from None


def read(con: duckdb.DuckDBPyConnection, what: str) -> pd.DataFrame:
    """``frame`` on an open connection."""
    named = _TABLE_NAME.match(what.strip())
    if named:
        schema, name = named.group(1) or MODELS_SCHEMA, named.group(2)
        if name not in tables(con, schema):
            known = ", ".join(sorted(tables(con, MODELS_SCHEMA))) or "none yet"
            raise FrameError(
                f"no table or view {schema}.{name}: the models are {known} "
                "(zdsync transform writes them)"
            )
        what = f'SELECT * FROM "{schema}"."{name}"'  # noqa: S608
    try:
        return con.execute(what).df()
    except duckdb.Error as exc:
        raise FrameError(f"the query failed: {first_line(exc)}") from None


def tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    """The tables and views in ``schema``."""
    found = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
    ).fetchall()
    return {row[0] for row in found}


def columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    """The columns of ``schema.table``; empty when it does not exist."""
    found = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    return {row[0] for row in found}
