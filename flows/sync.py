"""The whole round: extract, then transform, then push CRM rows of each object given."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from flows.common import one_writer
from flows.extract import EXPORT_STREAMS, extract
from flows.push_users import push_records, push_users
from flows.report import write_report_task
from flows.transform import transform
from pipelines.zendesk import DEFAULT_DB
from zdsync.errors import InputError
from zdsync.options import extract_options
from zdsync.reverse_etl.objects import OBJECTS
from zdsync.transform import missing_sources


@flow(name="zdsync-sync")
def sync(
    resources: list[str] = EXPORT_STREAMS,
    db: Path = DEFAULT_DB,
    start_date: date | None = None,
    crm_input: Path | None = None,
    crm_query: str | None = None,
    mapping: Path | None = None,
    single: bool = False,
    crm_inputs: dict[str, Path] | None = None,
    crm_queries: dict[str, str] | None = None,
    mappings: dict[str, Path] | None = None,
) -> dict[str, Any]:
    """Extract, transform, then push; each step is its own subflow run. Then the HTML report.

    The models run where the extract loads: the DuckDB file ``db``, or the destination
    ``ZDSYNC_DESTINATION`` names. Until that holds every raw table the models read, the extract
    also loads the missing ones, so the first scheduled run succeeds whichever resources it names.

    ``crm_input`` or ``crm_query`` (and ``mapping``) are the users' rows; ``crm_inputs``,
    ``crm_queries`` and ``mappings`` name each object's (``{"organizations": ...}``). Objects
    are pushed in dependency order (organizations, users, identities, tickets), so users may name
    organizations pushed the same run; the result says per object (``push_<object>``) what
    happened.
    """
    inputs, queries = dict(crm_inputs or {}), dict(crm_queries or {})
    unknown = sorted((inputs.keys() | queries.keys() | (mappings or {}).keys()) - OBJECTS.keys())
    if unknown:
        raise InputError(f"no object {', '.join(unknown)} to push: use {', '.join(OBJECTS)}")
    destination = extract_options(db=db).destination
    wanted = _with_model_sources(resources, db, destination)
    result: dict[str, Any] = {"extract": extract(resources=wanted, db=db, start_date=start_date)}
    result["transform"] = transform(db=db)
    if crm_input:
        inputs.setdefault("users", crm_input)
    if crm_query:
        queries.setdefault("users", crm_query)
    maps = {"users": mapping, **(mappings or {})} if mapping else dict(mappings or {})
    for name in OBJECTS:
        source, query = inputs.get(name), queries.get(name)
        if name == "users" and (source or query):
            result["push_users"] = push_users(
                input=source, query=query, db=db, mapping=maps.get(name), single=single
            )
        elif source or query:
            result[f"push_{name}"] = push_records(
                name, input=source, query=query, db=db, mapping=maps.get(name)
            )
    # The report reads the DuckDB file; models another warehouse holds are for its own tools.
    if destination is None:
        result["report"] = str(write_report_task(db))
    return result


def _with_model_sources(resources: list[str], db: Path, destination: str | None) -> list[str]:
    # Read while holding the file's writer slot, so no extract has it open meanwhile.
    with one_writer(db):
        missing = [name for name in missing_sources(db, destination) if name not in resources]
    if missing:
        get_run_logger().info("also loading %s: the models read them", ", ".join(missing))
    return [*resources, *missing]


if __name__ == "__main__":
    sync()
