"""``--single``: one ``POST /api/v2/users/create_or_update`` per user, for accounts without bulk
imports. The client paces it at Zendesk's limit of one request a second per account."""

from __future__ import annotations

from collections.abc import Callable

from zdsync import catalog
from zdsync.client import ZendeskClient
from zdsync.client.errors import FatalError, InvalidRequestError, ZendeskError
from zdsync.client.responses import created, json_object
from zdsync.reverse_etl.plan import PlannedRow
from zdsync.reverse_etl.reconcile import RowOutcome

SINGLE_PATH = catalog.operation("users.create_or_update").path


class SingleSender:
    def __init__(self, client: ZendeskClient, record: Callable[[list[RowOutcome]], None]):
        self.client = client
        self.record = record

    def run(self, items: list[PlannedRow]) -> None:
        for item in items:
            self.record([self._send(item)])

    def _send(self, item: PlannedRow) -> RowOutcome:
        try:
            response = self.client.request("POST", SINGLE_PATH, json={"user": item.payload})
        except InvalidRequestError as exc:
            # Zendesk refused this user's values; the next row may be fine.
            return RowOutcome(item, "failed", None, None, str(exc))
        except FatalError:
            # The credentials or the account: every other row would be refused the same way.
            raise
        except ZendeskError as exc:
            return RowOutcome(item, "failed", None, None, f"not sent: {exc}")
        user = json_object(response).get("user") or {}
        action = "created" if created(response) else "updated"
        return RowOutcome(item, action, user.get("id"), None)
