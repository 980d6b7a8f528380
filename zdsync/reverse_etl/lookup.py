"""What Zendesk already has: organizations, and existing users by external id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from zdsync.client import CursorList, ZendeskClient
from zdsync.client.errors import NotFoundError
from zdsync.reverse_etl.plan import PlannedRow

SHOW_MANY_SIZE = 100


def organization_exists(client: ZendeskClient, organization_id: int) -> bool:
    try:
        client.get_json(f"/api/v2/organizations/{organization_id}")
    except NotFoundError:
        return False
    return True


def user_field_definitions(client: ZendeskClient) -> list[dict[str, Any]]:
    """Every user field definition; Zendesk pages them at 100."""
    pages = client.paginate(CursorList("/api/v2/user_fields", "user_fields"))
    return [definition for page in pages for definition in page.items]


def mark_existing(client: ZendeskClient, planned: list[PlannedRow]) -> None:
    """Set ``exists`` on rows to send that carry an external id (one request per 100 rows).

    Rows matched on email alone keep ``exists = None``: Zendesk has no bulk lookup by email,
    and one request per row would cost more than the push.
    """
    keyed = [
        item for item in planned if item.decision == "send" and item.payload.get("external_id")
    ]
    for chunk in _chunks(keyed, SHOW_MANY_SIZE):
        ids = ",".join(str(item.payload["external_id"]) for item in chunk)
        body = client.get_json("/api/v2/users/show_many", params={"external_ids": ids})
        found = {
            str(user.get("external_id", "")).lower(): user.get("id")
            for user in body.get("users") or []
        }
        for item in chunk:
            user_id = found.get(str(item.payload["external_id"]).lower())
            item.exists = user_id is not None
            item.existing_user_id = user_id


def _chunks(items: list[PlannedRow], size: int) -> Iterator[list[PlannedRow]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
