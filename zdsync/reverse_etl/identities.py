"""User identities: secondary emails and phone numbers added to existing users, one request each.

Zendesk has no bulk write for identities, so rows go one by one (``POST
users/{id}/identities``, then ``make_primary`` when the row says primary), paced by the client.
Each row's user is found by external id (``users/show_many``, 100 a request) or email (the
warehouse, else one search); then one ``GET users/{id}/identities`` per user says which
identities exist already: those are left alone, or only made primary. Nothing is deleted,
unless ``--mirror``: then a listed user's identities of the types its rows name (emails, phone
numbers) that no row names are deleted, never a primary one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zdsync import catalog
from zdsync.client import CursorList, ZendeskClient
from zdsync.client.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from zdsync.client.responses import json_object
from zdsync.client.stats import endpoint_of
from zdsync.errors import BulkWriteNotAllowedError
from zdsync.reverse_etl import matching
from zdsync.reverse_etl import plan as planning
from zdsync.reverse_etl.bulk_request import BulkRequest
from zdsync.reverse_etl.identity_rows import identity_of, payload_of, user_of
from zdsync.reverse_etl.reconcile import RowOutcome
from zdsync.reverse_etl.rows import InputRow

LIST = catalog.operation("identities.list")
CREATE = catalog.operation("identities.create")
PRIMARY = catalog.operation("identities.make_primary")
DELETE = catalog.operation("identities.delete")
USERS_PATH = catalog.operation("users.show_many").path
KEYS = ("identity",)


class Identities:
    """The identities adapter: writes one by one (``send_one``), not in bulk."""

    # As the client's counts name them, ids collapsed.
    post_paths: tuple[str, ...] = tuple(
        endpoint_of(op.path_for(user_id=0, user_identity_id=0)) for op in (CREATE, PRIMARY, DELETE)
    )
    bulk = False

    def plan(
        self, client: ZendeskClient, rows: list[InputRow], on_duplicate: planning.OnDuplicate
    ) -> list[planning.PlannedRow]:
        planned = planning.validate_with(rows, _keyed, identity_of, KEYS, on_duplicate, "identity")
        for item in planned:
            item.payload.pop("identity", None)
        return planned

    def needs_match(self, item: planning.PlannedRow, every: bool) -> bool:
        return True

    def match(self, client: ZendeskClient, items: list[planning.PlannedRow], db: Path) -> None:
        users = _users(client, {user_of(i.row) for i in items}, db)
        held: dict[int, list[dict[str, Any]]] = {}
        for item in items:
            user_id = users.get(user_of(item.row))
            item.found["user_id"] = user_id
            if user_id is None:
                continue
            if user_id not in held:
                held[user_id] = identities_of(client, user_id)
            same = [i for i in held[user_id] if _same(i, item.payload)]
            item.exists = bool(same)
            item.zendesk_id = same[0]["id"] if same else None
            item.found["primary"] = bool(same and same[0].get("primary"))
            item.found["held"] = held[user_id]

    def apply_mode(self, planned: list[planning.PlannedRow], mode: planning.Mode) -> None:
        for item in planned:
            if item.decision != "send":
                continue
            if "user_id" in item.found and item.found["user_id"] is None:
                key, _, value = user_of(item.row).partition(":")
                item.invalid(f"no Zendesk user has the {key.replace('_', ' ')} {value!r}")
            elif mode == "update-only" and item.exists is False:
                item.invalid("the user has no such identity yet (--mode update-only)")
            elif mode == "create-only" and item.exists:
                item.invalid("the user has this identity already (--mode create-only)")
            elif item.exists and item.found["primary"] >= bool(item.payload.get("primary")):
                item.decision = "unchanged"

    def batches(self, to_send: list[planning.PlannedRow]) -> Iterator[list[planning.PlannedRow]]:
        yield to_send

    def request(self, batch: list[planning.PlannedRow]) -> BulkRequest:
        raise NotImplementedError("identities are written one by one")

    def refusal(self, exc: PermissionDeniedError) -> Exception:
        return BulkWriteNotAllowedError(
            "these Zendesk credentials may not change users' identities: use an agent's or an "
            f"admin's; Zendesk answered {exc}"
        )

    def send_one(self, client: ZendeskClient, item: planning.PlannedRow) -> RowOutcome:
        """Add the row's identity (unless the user has it), then make it primary if asked."""
        user_id = int(item.found["user_id"])
        action = "updated"
        try:
            if not item.exists:
                body = {"identity": {"type": item.payload["type"], "value": item.payload["value"]}}
                made = client.request("POST", CREATE.path_for(user_id=user_id), json=body)
                item.zendesk_id = (json_object(made).get("identity") or {}).get("id")
                action = "created"
            if item.payload.get("primary") and not item.found.get("primary"):
                path = PRIMARY.path_for(user_id=user_id, user_identity_id=item.zendesk_id)
                client.request("PUT", path)
        except PermissionDeniedError as exc:
            raise self.refusal(exc) from None
        except (InvalidRequestError, NotFoundError) as exc:
            return RowOutcome(item, "failed", item.zendesk_id, None, str(exc))
        return RowOutcome(item, action, item.zendesk_id, None)

    def mirror(
        self, client: ZendeskClient, planned: list[planning.PlannedRow], db: Path
    ) -> list[RowOutcome]:
        """Delete the identities no row names, of the users and types the rows name."""
        unmatched = [p for p in planned if p.decision == "unchanged" and "user_id" not in p.found]
        if unmatched:
            self.match(client, unmatched, db)
        outcomes: list[RowOutcome] = []
        named: dict[int, list[planning.PlannedRow]] = {}
        for item in planned:
            if item.found.get("user_id") is not None and item.decision != "invalid":
                named.setdefault(int(item.found["user_id"]), []).append(item)
        for user_id, items in named.items():
            types = {item.payload["type"] for item in items}
            for held in items[0].found["held"]:
                if held["type"] not in types or held.get("primary"):
                    continue
                if any(_same(held, item.payload) for item in items):
                    continue
                outcomes.append(_delete(client, user_id, held, items[0]))
        return outcomes


def _keyed(row: InputRow) -> dict[str, Any]:
    # Duplicates are rows naming the same identity of the same user.
    return {**payload_of(row), "identity": identity_of(row)}


def _same(held: dict[str, Any], payload: dict[str, Any]) -> bool:
    return bool(
        held.get("type") == payload["type"]
        and str(held.get("value") or "").lower() == str(payload["value"]).lower()
    )


def _delete(
    client: ZendeskClient, user_id: int, held: dict[str, Any], first: planning.PlannedRow
) -> RowOutcome:
    row = InputRow(
        first.row.row_number,
        {**first.row.values, "type": held["type"], "value": str(held["value"])},
    )
    item = planning.PlannedRow(row, identity=None, zendesk_id=held["id"])
    try:
        client.request("DELETE", DELETE.path_for(user_id=user_id, user_identity_id=held["id"]))
    except (InvalidRequestError, NotFoundError) as exc:
        return RowOutcome(item, "failed", held["id"], None, f"not deleted: {exc}")
    return RowOutcome(item, "deleted", held["id"], None)


def identities_of(client: ZendeskClient, user_id: int) -> list[dict[str, Any]]:
    """Every identity of the user."""
    pages = client.paginate(CursorList(LIST.path_for(user_id=user_id), "identities"))
    return [identity for page in pages for identity in page.items]


def _users(client: ZendeskClient, keys: set[str], db: Path) -> dict[str, int]:
    """User ids by the rows' ``external_id:...`` and ``email:...`` keys; unknown ones left out."""
    found: dict[str, int] = {}
    external_ids = sorted(k.partition(":")[2] for k in keys if k.startswith("external_id:"))
    for start in range(0, len(external_ids), 100):
        chunk = ",".join(external_ids[start : start + 100])
        for user in client.get_json(USERS_PATH, params={"external_ids": chunk}).get("users") or []:
            found[f"external_id:{str(user.get('external_id') or '').lower()}"] = user["id"]
    emails = sorted(k.partition(":")[2] for k in keys if k.startswith("email:"))
    known = matching.warehouse_users_by_email(db, emails)
    for address in emails:
        user_id = known.get(address)
        if user_id is None:
            match = matching.search(client, address)
            user_id = match.user_id if match.exists else None
        if user_id is not None:
            found[f"email:{address}"] = int(user_id)
    return found
