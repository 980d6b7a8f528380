"""The configuration lists' endpoints: cursor or offset pages where Zendesk pages them, one
answer where it does not (forms, statuses, SLA policies, business hours)."""

from __future__ import annotations

from collections.abc import Callable

from zdsync import catalog
from zdsync.sandbox.account_config import tag_counts
from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.lists import Listing
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import NOT_FOUND, Reply, error_reply, json_reply

Answer = Callable[[Store, tuple[str, ...]], Reply]


def _rows(kind: str) -> Callable[..., list[Record]]:
    return lambda store, request, groups: store.account.rows(kind)


def _tags(store: Store) -> list[Record]:
    # Counted on every request from the records that carry tags, so they are never stale.
    tickets = (t for t in store.tickets.records.values() if t["status"] != "deleted")
    users = (u for u in store.users.records.values() if u["active"])
    return tag_counts(tickets, users, store.organizations.records.values())


LISTINGS: tuple[Listing, ...] = (
    *(
        Listing(f"{kind}.list", _rows(kind))
        for kind in (
            "groups",
            "group_memberships",
            "organization_memberships",
            "brands",
            "macros",
            "automations",
            "views",
            "organization_fields",
        )
    ),
    # Most used first, as Zendesk orders them: cursors encode places, not ids.
    Listing("tags.list", lambda store, request, groups: _tags(store), by_id=False),
)


def _whole(kind: str, operation: str) -> Answer:
    key = str(catalog.operation(operation).response_key)

    def answer(store: Store, groups: tuple[str, ...]) -> Reply:
        with store.lock:
            rows = store.account.rows(kind)
        return json_reply(
            200, {key: rows, "next_page": None, "previous_page": None, "count": len(rows)}
        )

    return answer


def _holidays(store: Store, groups: tuple[str, ...]) -> Reply:
    with store.lock:
        found = store.account.holidays.get(int(groups[0]))
        if found is None:
            return error_reply(404, *NOT_FOUND)
        return json_reply(200, {"holidays": list(found)})


def _schedules(store: Store, groups: tuple[str, ...]) -> Reply:
    with store.lock:
        return json_reply(200, {"schedules": store.account.rows("schedules")})


UNPAGED: dict[str, Answer] = {
    "ticket_forms.list": _whole("ticket_forms", "ticket_forms.list"),
    "custom_statuses.list": lambda store, groups: json_reply(
        200, {"custom_statuses": store.account.rows("custom_statuses")}
    ),
    "sla_policies.list": _whole("sla_policies", "sla_policies.list"),
    "schedules.list": _schedules,
    "schedule_holidays.list": _holidays,
}
