"""Running the SQL models in ``zdsync/sql/`` against the warehouse.

Files run in name order (their number prefix is their dependency order); each is idempotent
(``CREATE OR REPLACE``), so a transform can run after every extract. The models are package
data, read through ``importlib.resources``, so an installed zdsync runs them as a checkout does.
They are DuckDB SQL and run on the DuckDB file, or on the extract's dlt destination in its own
dialect (``zdsync.warehouse``).

A model whose raw tables the extract has not loaded yet (a resource not chosen, or not extracted
since zdsync learnt it) is skipped, with the tables it waits for, and so is every model that reads
it; the others run. A skipped model with a file of the same name in ``sql/fallbacks/`` runs that
instead, an approximation from the tables there are, so the relation exists under its one name
and the models that read it run too. Only a schema with no raw table at all stops the transform.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import duckdb

from pipelines.zendesk import STREAMS, Stream
from pipelines.zendesk.options import DATASET as RAW_SCHEMA
from pipelines.zendesk.run_log import DDL as EXTRACT_LOG_DDL
from zdsync.errors import TransformError, first_line
from zdsync.model_inputs import Skips, raw_tables
from zdsync.reverse_etl.ledger import DDL as LEDGER_DDL
from zdsync.reverse_etl.publish import publish
from zdsync.warehouse import Warehouse, WarehouseError, connect

log = logging.getLogger(__name__)
SQL_DIR: Traversable = files("zdsync") / "sql"
FALLBACKS = "fallbacks"


@dataclass(frozen=True)
class ModelRun:
    """One model's turn: how long it ran, or why it was skipped (``skipped`` is the reason).

    ``fallback`` is why its fallback ran in its place (the tables the model itself waits for).
    """

    name: str
    seconds: float
    skipped: str | None = None
    fallback: str | None = None


def models(sql_dir: Traversable = SQL_DIR) -> list[Traversable]:
    """The model files, in the order they run."""
    if not sql_dir.is_dir():
        return []
    return sorted(
        (entry for entry in sql_dir.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )


def raw_inputs(found: Sequence[Traversable]) -> list[Stream]:
    """The streams whose raw tables the models in ``found`` read, in the streams' order."""
    read = {name for path in found for name in raw_tables(path.read_text())}
    return [stream for name, stream in STREAMS.items() if name in read]


def required(found: Sequence[Traversable]) -> list[str]:
    """The resources an extract loads for the models in ``found``; a model waits for its own.

    A table loaded only along with another (field definitions with their records, field
    history with the ticket events) stands for the resource it follows: selecting that one
    loads it.
    """
    return list(dict.fromkeys(stream.fetch.follows or stream.name for stream in raw_inputs(found)))


def run_models(
    db: Path, sql_dir: Traversable = SQL_DIR, destination: str | None = None
) -> list[ModelRun]:
    """Run every model; raises ``TransformError`` naming the model that failed.

    Args:
        db: The DuckDB file, when ``destination`` is None.
        sql_dir: Where the model files are.
        destination: A dlt destination name (``postgres``...) to run the models there instead.
    """
    if not destination and not db.exists():
        raise TransformError(f"no database at {db}: run zdsync extract first")
    found = models(sql_dir)
    if not found:
        raise TransformError(f"no models in {sql_dir}: the installed package lacks its SQL files")
    if destination:
        _publish_sync_log(db, destination)
    try:
        with connect(db, destination) as con, con.transaction():
            return _run_all(con, found, sql_dir / FALLBACKS)
    except WarehouseError as exc:
        raise TransformError(str(exc)) from None


def _publish_sync_log(db: Path, destination: str) -> None:
    try:
        copied = publish(db, destination)
    except Exception as exc:  # dlt's failures wrap the destination's own
        cause = getattr(exc, "exception", exc)
        raise TransformError(
            f"copying the sync log to {destination} failed: {first_line(cause)}"
        ) from None
    log.debug("sync log tables copied: %s", ", ".join(copied) or "none")


def _run_all(con: Warehouse, found: list[Traversable], fallbacks: Traversable) -> list[ModelRun]:
    _check_sources(con, found)
    # The sync-health models read these even before the first push, or on a warehouse the
    # extract logs nothing to.
    con.run(LEDGER_DDL)
    con.run(EXTRACT_LOG_DDL)
    runs = []
    skips = Skips(con.tables(RAW_SCHEMA))
    for path in found:
        name = path.name.removesuffix(".sql")
        reason = skips.reason(name, path.read_text())
        fallback = fallbacks / path.name if reason else None
        if fallback is not None and not fallback.is_file():
            fallback = None
        if reason and (fallback is None or skips.reason(name, fallback.read_text())):
            log.info("model %s skipped: %s", name, reason)
            runs.append(ModelRun(name, 0.0, reason))
            continue
        if fallback is not None:
            skips.ran(name)
            log.info("model %s approximated by its fallback: %s", name, reason)
        started = time.monotonic()
        _run_model(con, fallback or path)
        runs.append(ModelRun(name, time.monotonic() - started, fallback=reason))
        log.debug("model %s done", name)
    return runs


def _run_model(con: Warehouse, path: Traversable) -> None:
    try:
        con.run(path.read_text())
    except WarehouseError as exc:
        raise TransformError(f"model {path.name} failed: {exc}") from None


def missing_sources(db: Path, destination: str | None = None) -> list[str]:
    """The raw tables the models read that ``db`` does not hold yet (all, without a file).

    With ``destination``, the tables that dlt destination does not hold yet.
    """
    needed = required(models())
    if destination:
        present = _destination_tables(db, destination)
    elif not db.exists():
        return needed
    else:
        with duckdb.connect(str(db), read_only=True) as con:
            present = _raw_tables(con)
    return [name for name in needed if name not in present]


def _raw_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [RAW_SCHEMA]
        ).fetchall()
    }


def _destination_tables(db: Path, destination: str) -> set[str]:
    try:
        with connect(db, destination) as con:
            return con.tables(RAW_SCHEMA)
    except WarehouseError as exc:
        raise TransformError(str(exc)) from None


def _check_sources(con: Warehouse, found: Sequence[Traversable]) -> None:
    present = con.tables(RAW_SCHEMA)
    missing = [name for name in required(found) if name not in present]
    if missing and not present:
        raise TransformError(
            f"tables missing in schema {RAW_SCHEMA}: {', '.join(missing)}: run zdsync extract first"
        )
    # A table loaded only with another (field definitions with tickets, field changes with ticket
    # events) is missing when that export had no rows for it: the models read it empty. One whose
    # export was never loaded stays missing, so the models that read it wait.
    for stream in raw_inputs(found):
        if stream.name not in present and stream.fetch.follows in present:
            columns = ", ".join(f'"{name}" {kind}' for name, kind in stream.columns.items())
            con.run(f"CREATE TABLE {RAW_SCHEMA}.{stream.name} ({columns})")
