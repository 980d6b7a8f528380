"""Reading CRM rows: CSV, Parquet or JSON lines, or a query on the DuckDB database.

Every value arrives as text or None, whatever the source, so validation sees one shape. A mapping
file renames CRM columns onto zdsync's (for users ``external_id``, ``email``, ``name``,
``phone``, ``role``, ``organization_id``, ``tags``, ``user_fields.<key>``; each object's
module lists its own).
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from zdsync.errors import InputError, first_line
from zdsync.records import records

# A user's organization: by Zendesk id, or by the external id or name an organization push set.
ORGANIZATION_COLUMNS = ("organization_id", "organization_external_id", "organization_name")
COLUMNS = ("external_id", "email", "name", "phone", "role", *ORGANIZATION_COLUMNS, "tags")
USER_FIELD_PREFIX = "user_fields."


@dataclass(frozen=True)
class InputRow:
    """One CRM row, numbered from 1 as a spreadsheet user would count it."""

    row_number: int
    values: dict[str, str | None]


def load_mapping(path: Path | None) -> dict[str, str]:
    """``[columns]`` of a TOML file: CRM column name = zdsync column name."""
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the mapping file {path}: {exc}") from None
    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise InputError(f"{path}: [columns] must map CRM column names to zdsync column names")
    return {str(k): str(v) for k, v in columns.items()}


def read_file(path: Path, mapping: Mapping[str, str]) -> list[InputRow]:
    """Rows of a CSV, Parquet or JSON-lines file, renamed by ``mapping``."""
    if not path.exists():
        raise InputError(f"no such input file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path, mapping)
    if suffix in (".parquet", ".jsonl", ".ndjson", ".json"):
        sql = (
            "SELECT * FROM read_parquet(?)"
            if suffix == ".parquet"
            else "SELECT * FROM read_json_auto(?)"
        )
        return _query(sql, [str(path)], None, mapping)
    raise InputError(f"{path.name}: use a .csv, .parquet or .jsonl file")


def read_query(db: Path, sql: str, mapping: Mapping[str, str]) -> list[InputRow]:
    """Rows a SQL query returns from the DuckDB database."""
    return _query(sql, [], db, mapping)


def _csv_rows(path: Path, mapping: Mapping[str, str]) -> list[InputRow]:
    """The rows of a CSV file under its header, read as ``csv.DictReader`` would read them:
    blank lines skipped, a short row's missing cells None, cells beyond the header dropped.

    Every cell is text, so the header is renamed once and each cell only stripped. Nothing
    can be sent before the file is read, and the general path took twice as long.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        lines = csv.reader(handle)
        names = [mapping.get(name, name) for name in next(lines, [])]
        rows: list[InputRow] = []
        for cells in lines:
            if not cells:
                continue
            cells += [""] * (len(names) - len(cells))
            # Cells beyond the header are left out, as DictReader leaves them out.
            values = dict(zip(names, map(_stripped, cells), strict=False))
            rows.append(InputRow(len(rows) + 1, values))
        return rows


def _stripped(cell: str) -> str | None:
    return cell.strip() or None


def _query(
    sql: str, params: list[Any], db: Path | None, mapping: Mapping[str, str]
) -> list[InputRow]:
    try:
        with duckdb.connect(str(db) if db else ":memory:", read_only=db is not None) as con:
            found = records(con, sql, params)
    except duckdb.Error as exc:
        raise InputError(f"cannot read the input: {first_line(exc)}") from None
    return list(_renamed(found, mapping))


def _renamed(
    records: Iterator[dict[str, Any]] | list[dict[str, Any]], mapping: Mapping[str, str]
) -> Iterator[InputRow]:
    for number, record in enumerate(records, start=1):
        values = {mapping.get(str(k), str(k)): _text(v) for k, v in record.items() if k is not None}
        yield InputRow(number, values)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    text = str(value).strip()
    return text or None
