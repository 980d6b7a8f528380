"""The values a user made through the API starts with, beside its id, URL and stamps."""

from __future__ import annotations

from typing import Any

NEW_USER: dict[str, Any] = {
    "role": "end-user",
    "active": True,
    "verified": False,
    "tags": [],
    "user_fields": {},
    "locale": "en-US",
    "locale_id": 1,
    "time_zone": "Copenhagen",
    "iana_time_zone": "Europe/Copenhagen",
    "alias": "",
    "details": "",
    "notes": "",
    "signature": "",
    "shared": False,
    "shared_agent": False,
    "suspended": False,
    "moderator": False,
    "only_private_comments": False,
    "restricted_agent": False,
    "report_csv": False,
}


def new_user() -> dict[str, Any]:
    """The starting values for one new user, with a list and a dict of its own."""
    return {**NEW_USER, "tags": [], "user_fields": {}}
