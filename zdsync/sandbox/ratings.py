"""Satisfaction ratings, consistent with the tickets they rate.

A share of the solved and closed tickets were offered a survey after their (last) solve: the
offer is a rating of score ``offered``, created a little after the solve by the ticket's
requester, with the assignee and group the ticket had at that moment. Most offers were
answered ``good`` or ``bad``, some with a comment, bad ones mostly with a reason; some answers
were changed later, which moves ``updated_at`` and leaves ``created_at``. Tickets never offered
one carry ``unoffered`` and have no rating record. Each ticket's ``satisfaction_rating`` field
sums up its rating.

A rating is not written into the ticket's audits: Zendesk's OpenAPI file and the reference
notes name no audit event for it, so the audits stay as they were.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from zdsync.sandbox.activity import epoch
from zdsync.sandbox.config import SandboxConfig
from zdsync.sandbox.fakedata import WORDS, Record, iso

RATING_ID_BASE = 360_002_000_000
SOLVED = ("solved", "closed")
# Zendesk's default reasons for a bad rating, by reason code, each with the id of its record.
REASONS: dict[int, tuple[int, str]] = {
    0: (360_000_800, "No reason provided"),
    5: (360_000_805, "The issue took too long to resolve"),
    6: (360_000_806, "The issue was not resolved"),
    7: (360_000_807, "The agent's knowledge is unsatisfactory"),
    8: (360_000_808, "The agent's attitude is unsatisfactory"),
    100: (360_000_900, "Some other reason"),
}
RECEIVED = ("good", "bad")
# What each ``score`` filter of the list keeps: the scores, and whether a comment is needed
# (True), refused (False) or either (None).
SCORE_FILTERS: dict[str, tuple[tuple[str, ...], bool | None]] = {
    "offered": (("offered",), None),
    "unoffered": (("unoffered",), None),
    "received": (RECEIVED, None),
    "received_with_comment": (RECEIVED, True),
    "received_without_comment": (RECEIVED, False),
    **{score: ((score,), None) for score in RECEIVED},
    **{f"{score}_with_comment": ((score,), True) for score in RECEIVED},
    **{f"{score}_without_comment": ((score,), False) for score in RECEIVED},
}

AuditsOf = Callable[[int], list[Record]]


def solved_at(audits: list[Record]) -> int | None:
    """When the ticket was last set solved (or closed), from its audits."""
    found = None
    for audit in audits:
        for child in audit["child_events"]:
            if child["event_type"] in ("Create", "Change") and child.get("status") in SOLVED:
                found = int(audit["timestamp"])
    return found


def values_at(audits: list[Record], at: int) -> dict[str, int | None]:
    """The ticket's assignee and group as its audits leave them at ``at``."""
    values: dict[str, int | None] = {"assignee_id": None, "group_id": None}
    for audit in audits:
        if audit["timestamp"] > at:
            break
        for child in audit["child_events"]:
            for key in values:
                if key in child and child["event_type"] in ("Create", "Change"):
                    values[key] = child[key]
    return values


def summary(rating: Record | None) -> Record:
    """The ticket's ``satisfaction_rating`` field for its rating (or its lack of one)."""
    if rating is None:
        return {"score": "unoffered"}
    if rating["score"] == "offered":
        return {"score": "offered"}
    found = {"id": rating["id"], "score": rating["score"]}
    if rating.get("comment"):
        found["comment"] = rating["comment"]
    return found


@dataclass
class Answer:
    """A requester's answer to a survey: the score, and the comment and reason code if any."""

    score: str
    comment: str | None = None
    reason_code: int | None = None


class Ratings:
    """Every satisfaction rating by id, at most one per ticket."""

    def __init__(self, config: SandboxConfig, origin: str) -> None:
        self.config = config
        self.origin = origin
        self.records: dict[int, Record] = {}
        self.of_ticket: dict[int, int] = {}
        self.next_id = RATING_ID_BASE

    def generate(self, tickets: Iterable[Record], audits_of: AuditsOf, now: int) -> None:
        """The ratings of generated tickets, in creation order, and each ticket's summary."""
        rng = random.Random(f"{self.config.seed}:ratings")
        drafts: list[tuple[int, Record, Answer | None, int]] = []
        for ticket in tickets:
            audits = audits_of(ticket["id"])
            solved = solved_at(audits) if ticket["status"] in SOLVED else None
            if solved is None or rng.random() > 0.6:
                continue
            offered = min(solved + rng.randrange(300, 2 * 86400), now)
            answer = self._drawn(rng) if rng.random() < 0.75 else None
            changed = offered + rng.randrange(60, 5 * 86400) if rng.random() < 0.2 else offered
            drafts.append((offered, ticket, answer, min(changed, now)))
        for offered, ticket, answer, changed in sorted(drafts, key=lambda d: (d[0], d[1]["id"])):
            rating = self._offer(ticket, audits_of(ticket["id"]), offered)
            if answer is not None:
                self._answer(rating, answer, changed)
        for ticket in tickets:
            ticket["satisfaction_rating"] = summary(self.for_ticket(ticket["id"]))

    def for_ticket(self, ticket_id: int) -> Record | None:
        rating_id = self.of_ticket.get(ticket_id)
        return None if rating_id is None else self.records[rating_id]

    def rate(self, ticket: Record, audits: list[Record], answer: Answer, at: int) -> Record:
        """The requester's answer now: their ticket's rating made or changed."""
        rating = self.for_ticket(ticket["id"]) or self._offer(ticket, audits, at)
        self._answer(rating, answer, at)
        return rating

    def may_change(self, rating: Record, at: int) -> bool:
        """Whether the requester may still change ``rating`` at ``at``."""
        window = self.config.rating_change_days * 86400
        return at - epoch(rating["created_at"]) <= window

    def _offer(self, ticket: Record, audits: list[Record], at: int) -> Record:
        self.next_id += 1
        rating: Record = {
            "id": self.next_id,
            "url": f"{self.origin}/api/v2/satisfaction_ratings/{self.next_id}.json",
            "ticket_id": ticket["id"],
            "requester_id": ticket["requester_id"],
            **values_at(audits, at),
            "score": "offered",
            "created_at": iso(at),
            "updated_at": iso(at),
        }
        self.records[rating["id"]] = rating
        self.of_ticket[ticket["id"]] = rating["id"]
        return rating

    def _answer(self, rating: Record, answer: Answer, at: int) -> None:
        for key in ("comment", "reason", "reason_id"):
            rating.pop(key, None)
        rating.update(score=answer.score, updated_at=iso(at))
        if answer.comment:
            rating["comment"] = answer.comment
        if answer.score == "bad":
            reason_id, reason = REASONS[answer.reason_code or 0]
            rating.update(reason=reason, reason_id=reason_id)

    def _drawn(self, rng: random.Random) -> Answer:
        score = "good" if rng.random() < 0.7 else "bad"
        comment = " ".join(rng.choices(WORDS, k=5)).capitalize() if rng.random() < 0.5 else None
        code = rng.choice([*REASONS]) if score == "bad" and rng.random() < 0.8 else None
        return Answer(score, comment, code)


def selected(records: Mapping[int, Record], query: Mapping[str, str], field: str) -> list[Record]:
    """The ratings a list request's ``score``, ``start_time`` and ``end_time`` keep, by id.

    Raises:
        ValueError: A filter's value is not one Zendesk takes.
    """
    score = query.get("score")
    if score is not None and score not in SCORE_FILTERS:
        raise ValueError(f"score must be one of {', '.join(SCORE_FILTERS)}")
    scores, comment = SCORE_FILTERS[score] if score is not None else ((), None)
    start, end = (_epoch_param(query, name) for name in ("start_time", "end_time"))
    found = []
    for rating_id in sorted(records):
        rating = records[rating_id]
        stamp = epoch(rating[field])
        if scores and rating["score"] not in scores:
            continue
        if comment is not None and bool(rating.get("comment")) != comment:
            continue
        if (start is not None and stamp < start) or (end is not None and stamp > end):
            continue
        found.append(rating)
    return found


def _epoch_param(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise ValueError(f"{name} must be a Unix epoch time in seconds")
    return int(raw)
