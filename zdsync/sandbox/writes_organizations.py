"""Organization writes: create, create_many, update, update_many and delete.

Names are unique regardless of case, and so are external ids. A deletion stamps
``deleted_at``: the organization leaves lists and stays in the incremental export, as the
store models deletions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zdsync.sandbox.bulk import may_write_users_in_bulk as may_manage
from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import (
    Problem,
    body_object,
    body_objects,
    created_row,
    failed_row,
    forbidden,
    not_found,
    record_invalid,
    update_many_rows,
    updated_row,
)

if TYPE_CHECKING:
    from zdsync.sandbox.server import App

UPDATABLE = (
    "name",
    "external_id",
    "details",
    "notes",
    "group_id",
    "shared_tickets",
    "shared_comments",
    "tags",
    "domain_names",
    "organization_fields",
)


def create(app: App, request: Request) -> Reply:
    """``POST /api/v2/organizations``: 201 and the organization, or 422."""
    if not may_manage(request.user):
        return forbidden()
    row = body_object(request, "organization")
    if isinstance(row, Reply):
        return row
    with app.store.lock:
        problems = organization_problems(app.store, row, None)
        if problems:
            return record_invalid(*problems)
        org = _create(app.store, row)
    return json_reply(201, {"organization": org})


def create_many(app: App, request: Request) -> Reply:
    """``POST /api/v2/organizations/create_many``: a job creating each, failures per row."""
    if not may_manage(request.user):
        return forbidden()
    rows = body_objects(request, "organizations")
    if isinstance(rows, Reply):
        return rows
    return app.jobs.queue(rows, _create_row, "Bulk Create Organizations", "OrganizationBulkJob")


def update(app: App, request: Request, org_id: int) -> Reply:
    """``PUT /api/v2/organizations/{id}``: the changed organization."""
    if not may_manage(request.user):
        return forbidden()
    row = body_object(request, "organization")
    if isinstance(row, Reply):
        return row
    with app.store.lock:
        org = live_organization(app.store, org_id)
        if org is None:
            return not_found()
        problems = organization_problems(app.store, row, org)
        if problems:
            return record_invalid(*problems)
        changed = app.store.update_organization(org_id, **_fields(row))
    return json_reply(200, {"organization": changed})


def update_many(app: App, request: Request) -> Reply:
    """``PUT /api/v2/organizations/update_many``: one change to ``?ids=``, or one change each."""
    if not may_manage(request.user):
        return forbidden()
    rows = update_many_rows(request, "organization", "organizations")
    if isinstance(rows, Reply):
        return rows
    return app.jobs.queue(rows, _update_row, "Bulk Update Organizations", "OrganizationBulkJob")


def delete(app: App, request: Request, org_id: int) -> Reply:
    """``DELETE /api/v2/organizations/{id}``: 204; the export shows ``deleted_at``."""
    if not may_manage(request.user):
        return forbidden()
    with app.store.lock:
        if live_organization(app.store, org_id) is None:
            return not_found()
        app.store.delete_organization(org_id)
    return Reply(204)


def live_organization(store: Store, org_id: int) -> Record | None:
    """An organization that is not deleted."""
    org = store.organizations.records.get(org_id)
    return org if org is not None and org["deleted_at"] is None else None


def organization_problems(store: Store, row: Record, existing: Record | None) -> list[Problem]:
    """A blank or taken name, a taken external id."""
    problems: list[Problem] = []
    name = row.get("name", existing["name"] if existing else None)
    if not isinstance(name, str) or not name.strip():
        problems.append(("name", "BlankValue", "Name: cannot be blank"))
    elif _owner(store, "name", name, existing) is not None:
        problems.append(("name", "DuplicateValue", "Name: has already been taken"))
    external_id = row.get("external_id")
    if external_id and _owner(store, "external_id", str(external_id), existing) is not None:
        message = "External ID: has already been taken"
        problems.append(("external_id", "DuplicateValue", message))
    return problems


def _owner(store: Store, key: str, value: str, existing: Record | None) -> Record | None:
    """The other live organization whose ``key`` equals ``value``, ignoring case."""
    found = store.organization_owning(key, value)
    if found is None or (existing is not None and found["id"] == existing["id"]):
        return None
    return found


def _fields(row: Record) -> dict[str, Any]:
    return {key: row[key] for key in UPDATABLE if key in row}


def _create(store: Store, row: Record) -> Record:
    fields: Record = {
        "name": row["name"],
        "shared_tickets": False,
        "shared_comments": False,
        "external_id": None,
        "domain_names": [],
        "details": None,
        "notes": "",
        "group_id": None,
        "tags": [],
        "organization_fields": {},
        "deleted_at": None,
        **_fields(row),
    }
    return store.create_organization(fields)


def _create_row(store: Store, row: Record, index: int) -> Record:
    problems = organization_problems(store, row, None)
    if problems:
        return failed_row(index, None, "create", problems[0][1], problems[0][2])
    return created_row(index, _create(store, row)["id"])


def _update_row(store: Store, row: Record, index: int) -> Record:
    org = live_organization(store, row["id"])
    if org is None:
        return failed_row(index, row["id"], "update", "RecordNotFound", "Not found")
    problems = organization_problems(store, row, org)
    if problems:
        return failed_row(index, row["id"], "update", problems[0][1], problems[0][2])
    return updated_row(index, store.update_organization(org["id"], **_fields(row))["id"])
