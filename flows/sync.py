"""The whole round: extract, then transform, then push CRM users (when an input is given)."""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.common import DEFAULT_DB_PATH
from flows.extract import EXPORT_STREAMS, extract
from flows.push_users import push_users
from flows.transform import transform


@flow(name="zdsync-sync")
def sync(
    resources: list[str] = EXPORT_STREAMS,
    db: str = DEFAULT_DB_PATH,
    crm_input: str | None = None,
    crm_query: str | None = None,
    mapping: str | None = None,
) -> dict[str, Any]:
    """Extract, transform, then push; each step is its own subflow run."""
    result: dict[str, Any] = {"extract": extract(resources=resources, db=db)}
    result["transform"] = transform(db=db)
    if crm_input or crm_query:
        result["push_users"] = push_users(input=crm_input, query=crm_query, db=db, mapping=mapping)
    return result


if __name__ == "__main__":
    sync()
