"""What Zendesk already has that validation needs: organizations and user fields."""

from __future__ import annotations

from typing import Any

from zdsync.client import ZendeskClient
from zdsync.client.errors import NotFoundError


def organization_exists(client: ZendeskClient, organization_id: int) -> bool:
    try:
        client.get_json(f"/api/v2/organizations/{organization_id}")
    except NotFoundError:
        return False
    return True


def user_field_definitions(client: ZendeskClient) -> list[dict[str, Any]]:
    body = client.get_json("/api/v2/user_fields")
    return list(body.get("user_fields") or [])
