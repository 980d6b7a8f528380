"""What Zendesk already has that validation needs: organizations and user fields."""

from __future__ import annotations

from typing import Any

from zdsync import catalog
from zdsync.client import CursorList, ZendeskClient
from zdsync.client.errors import NotFoundError


def organization_exists(client: ZendeskClient, organization_id: int) -> bool:
    try:
        client.get_json(
            catalog.operation("organizations.show").path_for(organization_id=organization_id)
        )
    except NotFoundError:
        return False
    return True


def user_field_definitions(client: ZendeskClient) -> list[dict[str, Any]]:
    """Every user field definition; Zendesk pages them at 100."""
    fields = catalog.operation("user_fields.list")
    pages = client.paginate(CursorList(fields.path, "user_fields"))
    return [definition for page in pages for definition in page.items]
