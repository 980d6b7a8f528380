"""The ticket activity exports: ticket events, with their comments when asked for, and the
sideloads of the cursor exports (``metric_sets`` beside tickets, ``identities`` beside users)."""

from __future__ import annotations

import orjson

from zdsync.sandbox import exports
from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.metrics import metric_set
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import Reply, Request

# What a comment's child event keeps when the request does not sideload ``comment_events``.
COMMENT_STUB_KEYS = ("id", "via", "via_reference_id")


def includes(request: Request, name: str) -> bool:
    return name in request.query.get("include", "").split(",")


def ticket_events(store: Store, request: Request) -> Reply:
    """``GET /api/v2/incremental/ticket_events``: time-based, comments only with the sideload."""
    if includes(request, "comment_events"):
        return exports.time_export(store, "ticket_events", request)
    return exports.time_export(store, "ticket_events", request, without_comments)


def without_comments(audit: Record) -> bytes:
    """An audit as the export shows it without ``comment_events``: a comment is two flags."""
    children = [
        {
            **{key: child[key] for key in COMMENT_STUB_KEYS},
            "comment_present": True,
            "comment_public": child["public"],
            "event_type": "Comment",
        }
        if child["event_type"] == "Comment"
        else child
        for child in audit["child_events"]
    ]
    return orjson.dumps({**audit, "child_events": children})


def metric_sets(store: Store, ids: list[int]) -> dict[str, object]:
    """The metric sets of a page's tickets; deleted tickets have none."""
    agents = {u["id"] for u in store.users.records.values() if u["role"] != "end-user"}
    tickets = store.tickets.records
    return {
        "metric_sets": [
            metric_set(tickets[ticket_id], store.audits.of_ticket(ticket_id), agents)
            for ticket_id in ids
            if tickets[ticket_id]["status"] != "deleted"
        ]
    }


def identities(store: Store, ids: list[int]) -> dict[str, object]:
    """The identities of a page's users."""
    return {"identities": [i for user_id in ids for i in store.identities.get(user_id, [])]}


SIDELOADS: dict[str, dict[str, exports.Sideload]] = {
    "tickets": {"metric_sets": metric_sets},
    "users": {"identities": identities},
}


def cursor_export(store: Store, kind: str, request: Request) -> Reply:
    """A cursor export with the sideloads its ``include`` names among those it offers."""
    chosen = [load for name, load in SIDELOADS[kind].items() if includes(request, name)]

    def sideload(store: Store, ids: list[int]) -> dict[str, object]:
        return {key: value for load in chosen for key, value in load(store, ids).items()}

    return exports.cursor_export(store, kind, request, sideload if chosen else None)
