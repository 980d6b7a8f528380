"""Ticket writes: create, create_many, update, update_many, delete and merge.

Every change goes through the store, so the incremental export sees it: an update moves
``updated_at`` and ``generated_timestamp``; a deletion leaves the ticket in the export with
status ``deleted`` and takes it out of lists and shows. Bulk writes and merges are jobs.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from zdsync.sandbox.bulk import email_is_valid
from zdsync.sandbox.fakedata import PRIORITIES, STATUSES, TYPES, Record
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import (
    Problem,
    body_object,
    body_objects,
    created_row,
    failed_row,
    forbidden,
    integer_ids,
    invalid_value,
    is_staff,
    not_found,
    record_invalid,
    update_many_rows,
    updated_row,
)

if TYPE_CHECKING:
    from zdsync.sandbox.server import App

UPDATABLE = (
    "subject",
    "priority",
    "status",
    "type",
    "tags",
    "assignee_id",
    "group_id",
    "organization_id",
    "external_id",
    "due_at",
    "custom_fields",
    "problem_id",
)
# Changes to a ticket's tags rather than its whole list, as bulk updates use them.
TAG_CHANGES = ("additional_tags", "remove_tags")
CHOICES: dict[str, Collection[object]] = {"status": STATUSES, "priority": PRIORITIES, "type": TYPES}
# The tag Zendesk puts on a ticket closed by a merge.
MERGE_TAG = "closed_by_merge"


def create(app: App, request: Request) -> Reply:
    """``POST /api/v2/tickets``: 201 and the ticket, or 422 with what is wrong."""
    if not is_staff(request.user):
        return forbidden()
    row = body_object(request, "ticket")
    if isinstance(row, Reply):
        return row
    with app.store.lock:
        problems = creation_problems(app.store, row)
        if problems:
            return record_invalid(*problems)
        ticket = _create(app.store, row, request.user)
    # Zendesk answers a creation as it answers an update: the ticket and its first audit.
    author = request.user["id"] if request.user else None
    return json_reply(201, {"ticket": ticket, "audit": _audit(ticket, row, author)})


def create_many(app: App, request: Request) -> Reply:
    """``POST /api/v2/tickets/create_many``: a job creating each ticket, failures per row."""
    if not is_staff(request.user):
        return forbidden()
    rows = body_objects(request, "tickets")
    if isinstance(rows, Reply):
        return rows
    caller = request.user

    def work(store: Store, row: Record, index: int) -> Record:
        problems = creation_problems(store, row)
        if problems:
            return failed_row(index, None, "create", problems[0][1], problems[0][2])
        return created_row(index, _create(store, row, caller)["id"])

    return app.jobs.queue(rows, work, "Bulk Create Tickets", "TicketBulkCreateJob")


def update(app: App, request: Request, ticket_id: int) -> Reply:
    """``PUT /api/v2/tickets/{id}``: the changed ticket and its audit."""
    if not is_staff(request.user):
        return forbidden()
    row = body_object(request, "ticket")
    if isinstance(row, Reply):
        return row
    with app.store.lock:
        ticket = live_ticket(app.store, ticket_id)
        if ticket is None:
            return not_found()
        problems = update_problems(app.store, ticket, row)
        if problems:
            return record_invalid(*problems)
        changed = _update(app.store, ticket, row, request.user)
    author = request.user["id"] if request.user else None
    return json_reply(200, {"ticket": changed, "audit": _audit(changed, row, author)})


def update_many(app: App, request: Request) -> Reply:
    """``PUT /api/v2/tickets/update_many``: one change to ``?ids=``, or one change each."""
    if not is_staff(request.user):
        return forbidden()
    rows = update_many_rows(request, "ticket", "tickets")
    if isinstance(rows, Reply):
        return rows
    return app.jobs.queue(rows, _update_row, "Bulk Update Tickets", "TicketBulkUpdateJobV3")


def delete(app: App, request: Request, ticket_id: int) -> Reply:
    """``DELETE /api/v2/tickets/{id}``: 204; the export then reports the ticket deleted."""
    if not is_staff(request.user):
        return forbidden()
    with app.store.lock:
        if live_ticket(app.store, ticket_id) is None:
            return not_found()
        app.store.delete_ticket(ticket_id)
    return Reply(204)


def merge(app: App, request: Request, ticket_id: int) -> Reply:
    """``POST /api/v2/tickets/{id}/merge``: a job closing the sources into the target."""
    if not is_staff(request.user):
        return forbidden()
    body = request.json() if request.body else None
    body = body if isinstance(body, dict) else {}
    sources = body.get("ids")
    checked = integer_ids("ids", [str(s) for s in sources] if isinstance(sources, list) else [])
    if isinstance(checked, Reply):
        return checked
    if len(checked) > app.config.ticket_merge_max_sources:
        limit = app.config.ticket_merge_max_sources
        return invalid_value(f"At most {limit} tickets can be merged at once")
    with app.store.lock:
        target = live_ticket(app.store, ticket_id)
        if target is None:
            return not_found()
        problems = merge_problems(app.store, target, checked)
    if problems:
        return record_invalid(*problems)
    comments = {key: body.get(key) for key in ("target_comment", "source_comment")}
    rows = [{"id": source, **comments} for source in checked]

    def work(store: Store, row: Record, index: int) -> Record:
        return _merge_one(store, ticket_id, row, index)

    return app.jobs.queue(rows, work, "Merge Tickets", "TicketMergeJob")


def live_ticket(store: Store, ticket_id: int) -> Record | None:
    """A ticket that is not deleted."""
    ticket = store.tickets.records.get(ticket_id)
    return None if ticket is None or ticket["status"] == "deleted" else ticket


def creation_problems(store: Store, row: Record) -> list[Problem]:
    """What Zendesk would refuse in a new ticket."""
    problems = field_problems(store, row)
    if not _comment_body(row):
        problems.append(("base", "BlankValue", "Description: cannot be blank"))
    requester = row.get("requester")
    requester_id = row.get("requester_id")
    if requester_id is not None and _live_user(store, requester_id) is None:
        problems.append(("requester_id", "InvalidValue", "Requester: is invalid"))
    if requester is not None:
        email = requester.get("email") if isinstance(requester, dict) else None
        if not isinstance(email, str) or not email_is_valid(email):
            message = f"Requester: Email: {email} is not properly formatted"
            problems.append(("requester", "InvalidValue", message))
    return problems


def update_problems(store: Store, ticket: Record, row: Record) -> list[Problem]:
    """What Zendesk would refuse in a change to ``ticket``."""
    if ticket["status"] == "closed":
        return [("status", "InvalidValue", "Status: closed prevents ticket update")]
    problems = field_problems(store, row)
    if row.get("status") == "new" and ticket["status"] != "new":
        problems.append(("status", "InvalidValue", "Status: cannot be set back to new"))
    return problems


def field_problems(store: Store, row: Record) -> list[Problem]:
    """Values outside their field's choices, and ids of users that do not exist."""
    problems: list[Problem] = []
    for field, choices in CHOICES.items():
        if field in row and row[field] not in choices:
            title = field.capitalize()
            problems.append((field, "InvalidValue", f"{title}: {row[field]} is not valid"))
    assignee = row.get("assignee_id")
    if assignee is not None:
        user = _live_user(store, assignee)
        if user is None or user["role"] == "end-user":
            problems.append(("assignee_id", "InvalidValue", "Assignee: is invalid"))
    org = row.get("organization_id")
    if org is not None and org not in store.organizations.records:
        problems.append(("organization_id", "InvalidValue", "Organization: is invalid"))
    for key in ("tags", *TAG_CHANGES):
        tags = row.get(key)
        if tags is not None and not (
            isinstance(tags, list) and all(isinstance(t, str) for t in tags)
        ):
            problems.append((key, "InvalidValue", "Tags: must be a list of strings"))
    return problems


def merge_problems(store: Store, target: Record, sources: list[int]) -> list[Problem]:
    """Zendesk merges open tickets only, never a ticket into itself."""
    problems: list[Problem] = []
    if target["status"] == "closed":
        problems.append(("base", "InvalidValue", f"Ticket {target['id']} is closed"))
    for source in sources:
        ticket = live_ticket(store, source)
        if source == target["id"]:
            problems.append(("ids", "InvalidValue", "A ticket cannot be merged into itself"))
        elif ticket is None:
            problems.append(("ids", "RecordNotFound", f"Ticket {source} not found"))
        elif ticket["status"] == "closed":
            problems.append(("ids", "InvalidValue", f"Ticket {source} is closed"))
    return problems


def _create(store: Store, row: Record, caller: Record | None) -> Record:
    requester_id = row.get("requester_id") or _requester(store, row, caller)
    requester = store.users.records[requester_id]
    fields = {k: row[k] for k in UPDATABLE if k in row}
    comment = row["comment"] if isinstance(row.get("comment"), dict) else {}
    subject = row.get("subject") or ""
    fields.update(
        subject=subject,
        raw_subject=subject,
        description=_comment_body(row),
        requester_id=requester_id,
        submitter_id=caller["id"] if caller else requester_id,
        status=row.get("status", "new"),
        is_public=bool(comment.get("public", True)),
        via={"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
    )
    fields.setdefault("organization_id", requester.get("organization_id"))
    for key in ("assignee_id", "group_id", "type", "priority", "external_id", "problem_id"):
        fields.setdefault(key, None)
    fields.setdefault("tags", [])
    fields.update(collaborator_ids=[], follower_ids=[], email_cc_ids=[], followup_ids=[])
    return store.create_ticket(by=caller["id"] if caller else None, comment=_comment(row), **fields)


def _requester(store: Store, row: Record, caller: Record | None) -> int:
    """The requester named by email (created when new), else the caller."""
    given = row.get("requester")
    if not isinstance(given, dict):
        return int(caller["id"]) if caller else 0
    email = str(given["email"])
    found = store.find_user(email=email)
    if found is not None:
        return int(found["id"])
    name = given.get("name") or email.partition("@")[0]
    return int(store.create_user({"name": name, "email": email})["id"])


def _update(store: Store, ticket: Record, row: Record, caller: Record | None = None) -> Record:
    fields = {k: row[k] for k in UPDATABLE if k in row}
    if any(key in row for key in TAG_CHANGES):
        added = [t for t in row.get("additional_tags") or [] if t not in ticket["tags"]]
        removed = set(row.get("remove_tags") or [])
        kept: list[str] = fields["tags"] if "tags" in fields else ticket["tags"]
        fields["tags"] = [t for t in [*kept, *dict.fromkeys(added)] if t not in removed]
    author = caller["id"] if caller else None
    return store.update_ticket(ticket["id"], by=author, comment=_comment(row), **fields)


def _update_row(store: Store, row: Record, index: int) -> Record:
    ticket = live_ticket(store, row["id"])
    if ticket is None:
        return failed_row(index, row["id"], "update", "RecordNotFound", "Not found")
    problems = update_problems(store, ticket, row)
    if problems:
        return failed_row(index, row["id"], "update", problems[0][1], problems[0][2])
    return updated_row(index, _update(store, ticket, row)["id"])


def _merge_one(store: Store, target_id: int, row: Record, index: int) -> Record:
    """Close one source into the target; the target is touched as a comment would touch it."""
    source = live_ticket(store, row["id"])
    target = live_ticket(store, target_id)
    if source is None or target is None or "closed" in (source["status"], target["status"]):
        return failed_row(index, row["id"], "merge", "InvalidValue", "Ticket cannot be merged")
    tags = [*source["tags"], *([MERGE_TAG] if MERGE_TAG not in source["tags"] else [])]
    store.update_ticket(source["id"], status="closed", tags=tags)
    store.update_ticket(target_id)
    return {**updated_row(index, source["id"]), "action": "merge"}


def _audit(ticket: Record, row: Record, author: int | None) -> Record:
    events: list[dict[str, Any]] = [
        {"id": ticket["generated_timestamp"] * 10 + n, "type": "Change", "field_name": key}
        for n, key in enumerate(k for k in UPDATABLE if k in row)
    ]
    body = _comment_body(row)
    if body:
        events.append(
            {"id": ticket["generated_timestamp"] * 10 + 9, "type": "Comment", "body": body}
        )
    return {
        "id": ticket["generated_timestamp"],
        "ticket_id": ticket["id"],
        "created_at": ticket["updated_at"],
        "author_id": author,
        "events": events,
    }


def _comment(row: Record) -> Record | None:
    """The comment a write adds, as its audit records it."""
    body = _comment_body(row) if "comment" in row else ""
    if not body:
        return None
    given = row["comment"] if isinstance(row["comment"], dict) else {}
    return {"body": body, "public": bool(given.get("public", True))}


def _comment_body(row: Record) -> str:
    comment = row.get("comment")
    if isinstance(comment, dict):
        return str(comment.get("body") or comment.get("html_body") or "")
    if isinstance(comment, str):
        return comment
    return str(row.get("description") or "")


def _live_user(store: Store, user_id: Any) -> Record | None:
    user = store.users.records.get(user_id) if isinstance(user_id, int) else None
    return user if user is not None and user["active"] else None
