"""What Zendesk already has that validation needs: organizations and user fields."""

from __future__ import annotations

from typing import Any

from zdsync.client import CursorList, ZendeskClient
from zdsync.client.errors import NotFoundError


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
