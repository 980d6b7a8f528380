"""The satisfaction rating endpoints: the list, one rating and their count for admins, and the
requester's rating of their solved ticket."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from zdsync.sandbox import lists
from zdsync.sandbox.ratings import REASONS, RECEIVED, Answer, selected, solved_at
from zdsync.sandbox.store import Store
from zdsync.sandbox.users_admin import counted
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import forbidden, invalid_value, not_found, record_invalid

if TYPE_CHECKING:
    from zdsync.sandbox.server import App


def _listed(store: Store, request: Request, groups: tuple[str, ...]) -> list[Any] | Reply:
    try:
        return selected(store.ratings.records, request.query, store.config.rating_time_filter)
    except ValueError as exc:
        return invalid_value(str(exc))


LISTING = lists.Listing("satisfaction_ratings.list", _listed, ("score", "start_time", "end_time"))


def show(app: App, request: Request, match: re.Match[str]) -> Reply:
    rating = app.store.ratings.records.get(int(match["satisfaction_rating_id"]))
    return not_found() if rating is None else json_reply(200, {"satisfaction_rating": rating})


def count(app: App, request: Request, match: re.Match[str]) -> Reply:
    return counted(app, len(app.store.ratings.records))


def create(app: App, request: Request, match: re.Match[str]) -> Reply:
    """``POST /tickets/{id}/satisfaction_rating``: by the ticket's verified requester, on a
    ticket that is or was solved; a second answer changes the first while it may change."""
    store = app.store
    with store.lock:
        ticket = store.tickets.records.get(int(match["ticket_id"]))
        if ticket is None or ticket["status"] == "deleted":
            return not_found()
        user = request.user
        if user is None or user["id"] != ticket["requester_id"] or not user["verified"]:
            return forbidden()
        answer = _answer(request)
        if isinstance(answer, Reply):
            return answer
        if solved_at(store.audits.of_ticket(ticket["id"])) is None:
            return record_invalid(("status", "invalid", "The ticket has not been solved"))
        rating = store.ratings.for_ticket(ticket["id"])
        if rating is not None and not store.ratings.may_change(rating, store.now()):
            return record_invalid(("score", "invalid", "The rating can no longer be changed"))
        rating = store.rate_ticket(ticket["id"], **asdict(answer))
        return json_reply(200, {"satisfaction_rating": rating})


def _answer(request: Request) -> Answer | Reply:
    try:
        body = request.json() or {}
    except ValueError:
        return invalid_value("body must be a JSON object")
    given = body.get("satisfaction_rating") if isinstance(body, dict) else None
    if not isinstance(given, dict) or given.get("score") not in RECEIVED:
        return record_invalid(("score", "invalid", "Score must be good or bad"))
    code = given.get("reason_code")
    if code is not None and (given["score"] != "bad" or code not in REASONS):
        return record_invalid(("reason_code", "invalid", "Reason code is not valid here"))
    comment = given.get("comment")
    return Answer(given["score"], str(comment) if comment else None, code)
