"""The request that turns a batch of rows into a Zendesk job, and what a 403 on it means.

Each object's adapter says both; users' are the bulk sender's defaults, since the sender began
as theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zdsync import catalog
from zdsync.client.errors import PermissionDeniedError
from zdsync.errors import BulkImportsDisabledError, BulkWriteNotAllowedError
from zdsync.reverse_etl.plan import PlannedRow

BULK_PATH = catalog.operation("users.create_or_update_many").path


@dataclass(frozen=True)
class BulkRequest:
    """The one request that turns a batch into a job."""

    method: str
    path: str
    body: dict[str, Any]


RequestFor = Callable[[list[PlannedRow]], BulkRequest]
Refusal = Callable[[PermissionDeniedError], Exception]


def users_request(batch: list[PlannedRow]) -> BulkRequest:
    """Users are upserted: Zendesk matches each on external id, then email."""
    return BulkRequest("POST", BULK_PATH, {"users": [item.payload for item in batch]})


def users_refusal(exc: PermissionDeniedError) -> Exception:
    """What a 403 on bulk user writes means; only the description tells the two apart."""
    if "import" in str(exc).lower():
        return BulkImportsDisabledError(
            "bulk user imports are disabled on this Zendesk account: ask Zendesk Customer "
            "Support to enable data imports, or run again with --single (one user a "
            f"second); Zendesk answered {exc}"
        )
    return BulkWriteNotAllowedError(
        "these Zendesk credentials may not create or update users in bulk: use an "
        "admin's, or those of an agent whose custom role may manage end users; Zendesk "
        f"answered {exc}"
    )
