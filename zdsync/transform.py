"""Running the SQL models in ``sql/`` against the DuckDB database.

Files run in name order (their number prefix is their dependency order); each is idempotent
(``CREATE OR REPLACE``), so a transform can run after every extract.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from zdsync.errors import first_line
from zdsync.reverse_etl.ledger import ensure_tables

log = logging.getLogger(__name__)
SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
REQUIRED = ("tickets", "users", "organizations", "deleted_users", "compliance_deletion_statuses")


class TransformError(Exception):
    """A model could not run; the message is one line."""


@dataclass(frozen=True)
class ModelRun:
    name: str
    seconds: float


def models(sql_dir: Path = SQL_DIR) -> list[Path]:
    return sorted(sql_dir.glob("*.sql"))


def run_models(db: Path, sql_dir: Path = SQL_DIR) -> list[ModelRun]:
    """Run every model; raises ``TransformError`` naming the model that failed."""
    if not db.exists():
        raise TransformError(f"no database at {db}: run zdsync extract first")
    runs = []
    with duckdb.connect(str(db)) as con:
        _check_sources(con)
        # The reverse-ETL models read these even before the first push.
        ensure_tables(con)
        for path in models(sql_dir):
            started = time.monotonic()
            try:
                con.execute(path.read_text())
            except duckdb.Error as exc:
                raise TransformError(f"model {path.name} failed: {first_line(exc)}") from None
            runs.append(ModelRun(path.stem, time.monotonic() - started))
            log.debug("model %s done", path.stem)
    return runs


def _check_sources(con: duckdb.DuckDBPyConnection) -> None:
    present = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'zendesk'"
        ).fetchall()
    }
    missing = [name for name in REQUIRED if name not in present]
    if missing:
        raise TransformError(
            f"tables missing in schema zendesk: {', '.join(missing)}: run zdsync extract first"
        )
    if "ticket_fields" not in present:
        con.execute(
            "CREATE TABLE IF NOT EXISTS zendesk.ticket_fields (id BIGINT, title VARCHAR, "
            "type VARCHAR)"
        )
