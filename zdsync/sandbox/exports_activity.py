"""The ticket activity exports: ticket events, with their comments when asked for."""

from __future__ import annotations

import orjson

from zdsync.sandbox import exports
from zdsync.sandbox.fakedata import Record
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
