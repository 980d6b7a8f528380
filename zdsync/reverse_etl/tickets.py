"""Tickets: changes into ``tickets/update_many`` jobs, new tickets into ``create_many``.

A row names an existing ticket by ``id`` or ``external_id``; both are looked up before sending
(``tickets/show_many``, 100 ids a request; one ``tickets?external_id=`` each), since a batch
update names every ticket by id. A row whose ticket does not exist is invalid, unless it
carries a ``comment`` and the mode may create: then it becomes a new ticket, its requester
named by email or by the external id of an existing user.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zdsync import catalog
from zdsync.client import CursorList, ZendeskClient
from zdsync.client.errors import PermissionDeniedError
from zdsync.errors import BulkWriteNotAllowedError
from zdsync.reverse_etl import plan as planning
from zdsync.reverse_etl.bulk_request import BulkRequest
from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.ticket_rows import identity_of, payload_of, ticket_fields
from zdsync.reverse_etl.validation import payload_hash

UPDATE_PATH = catalog.operation("tickets.update_many").path
CREATE_PATH = catalog.operation("tickets.create_many").path
SHOW_MANY_PATH = catalog.operation("tickets.show_many").path
LIST_PATH = catalog.operation("tickets.list").path
FIELDS_PATH = catalog.operation("ticket_fields.list").path
USERS_PATH = catalog.operation("users.show_many").path
KEYS = ("id", "external_id")
BATCH_SIZE = 100


class Tickets:
    """The tickets adapter."""

    post_paths: tuple[str, ...] = (UPDATE_PATH, CREATE_PATH)

    def plan(
        self, client: ZendeskClient, rows: list[InputRow], on_duplicate: planning.OnDuplicate
    ) -> list[planning.PlannedRow]:
        pages = client.paginate(CursorList(FIELDS_PATH, "ticket_fields"))
        fields = ticket_fields([d for page in pages for d in page.items])
        planned = planning.validate_with(
            rows, lambda row: payload_of(row, fields), identity_of, KEYS, on_duplicate, "ticket"
        )
        _resolve_requesters(client, planned)
        return planned

    def needs_match(self, item: planning.PlannedRow, every: bool) -> bool:
        # A batch update names every ticket by id, and a missing ticket must not be sent.
        return True

    def match(self, client: ZendeskClient, items: list[planning.PlannedRow], db: Path) -> None:
        by_id = [item for item in items if item.payload.get("id")]
        for start in range(0, len(by_id), BATCH_SIZE):
            chunk = by_id[start : start + BATCH_SIZE]
            ids = ",".join(str(item.payload["id"]) for item in chunk)
            body = client.get_json(SHOW_MANY_PATH, params={"ids": ids})
            found = {t.get("id") for t in body.get("tickets") or []}
            for item in chunk:
                item.exists = item.payload["id"] in found
                item.zendesk_id = item.payload["id"] if item.exists else None
        for item in items:
            if not item.payload.get("id"):
                _by_external_id(client, item)

    def apply_mode(self, planned: list[planning.PlannedRow], mode: planning.Mode) -> None:
        for item in planned:
            if item.decision != "send":
                continue
            named = item.row.values.get("id") or item.row.values.get("external_id")
            if item.exists is None:
                item.invalid(f"several Zendesk tickets have the external id {named!r}")
            elif item.exists is False and (mode == "update-only" or not _may_create(item)):
                item.invalid(f"ticket {named} does not exist in Zendesk")
            elif mode == "create-only" and item.exists:
                item.invalid("a Zendesk ticket already matches (--mode create-only)")

    def batches(self, to_send: list[planning.PlannedRow]) -> Iterator[list[planning.PlannedRow]]:
        for exists in (True, False):
            same = [item for item in to_send if bool(item.exists) is exists]
            for start in range(0, len(same), BATCH_SIZE):
                yield same[start : start + BATCH_SIZE]

    def request(self, batch: list[planning.PlannedRow]) -> BulkRequest:
        if batch[0].exists:
            changes = [_change(item) for item in batch]
            return BulkRequest("PUT", UPDATE_PATH, {"tickets": changes})
        return BulkRequest("POST", CREATE_PATH, {"tickets": [item.payload for item in batch]})

    def refusal(self, exc: PermissionDeniedError) -> Exception:
        return BulkWriteNotAllowedError(
            "these Zendesk credentials may not update tickets in bulk: use an agent's or an "
            f"admin's; Zendesk answered {exc}"
        )


def _change(item: planning.PlannedRow) -> dict[str, Any]:
    # The requester is the creator's to choose; an update leaves it as it is.
    change = {k: v for k, v in item.payload.items() if k not in ("requester", "requester_id")}
    return {**change, "id": item.zendesk_id}


def _may_create(item: planning.PlannedRow) -> bool:
    return "comment" in item.payload and "id" not in item.payload


def _by_external_id(client: ZendeskClient, item: planning.PlannedRow) -> None:
    external_id = str(item.payload["external_id"])
    body = client.get_json(LIST_PATH, params={"external_id": external_id})
    found = [t for t in body.get("tickets") or [] if isinstance(t, dict)]
    item.exists = bool(found) if len(found) < 2 else None
    item.zendesk_id = found[0].get("id") if len(found) == 1 else None


def _resolve_requesters(client: ZendeskClient, planned: list[planning.PlannedRow]) -> None:
    """Rows naming their requester by external id get the user's id, or a reason."""
    named = [
        p for p in planned if p.decision == "send" and p.row.values.get("requester_external_id")
    ]
    wanted = sorted({str(p.row.values["requester_external_id"]).lower() for p in named})
    users: dict[str, int] = {}
    for start in range(0, len(wanted), BATCH_SIZE):
        chunk = ",".join(wanted[start : start + BATCH_SIZE])
        for user in client.get_json(USERS_PATH, params={"external_ids": chunk}).get("users") or []:
            users[str(user.get("external_id") or "").lower()] = user["id"]
    for item in named:
        external_id = str(item.row.values["requester_external_id"])
        user_id = users.get(external_id.lower())
        if user_id is None:
            item.invalid(f"no Zendesk user has the external id {external_id!r} (requester)")
            continue
        item.payload["requester_id"] = user_id
        item.digest = payload_hash(item.payload)
