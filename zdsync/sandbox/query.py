"""Zendesk's search query language over the sandbox's records: the evaluator.

A query is terms separated by spaces, and a record must satisfy every one:

- ``word`` or ``"a phrase"``: free text, found case-insensitively where a word of the text
  starts with it (``top`` finds "Top Ten" and "toppings", not "desktop"), in the fields
  ``TEXT`` names for the record's kind. A bare number also finds the ticket with that id.
- ``keyword:value``; ordered keywords also take ``<``, ``>``, ``<=`` and ``>=``. ``KEYWORDS``
  lists each with the kinds it applies to; a record of another kind fails the term.
- ``-term``: the term negated.

Dates are ``YYYY-MM-DD`` (a whole UTC day: ``created>2024-05-01`` starts on May 2) or ISO 8601
times. Everything else is a ``QueryError``: an unknown keyword, an operator or value a keyword
does not take, an unbalanced quote, an empty term. Relative dates (``created>2hours``) are
among them: how Zendesk reads them is not settled here.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from zdsync.sandbox.fakedata import PRIORITIES, ROLES, STATUSES, TYPES, Record
from zdsync.sandbox.query_syntax import QueryError, Term
from zdsync.sandbox.store import Store, epoch

KINDS = ("ticket", "user", "organization", "group")
TICKET, USER, ORGANIZATION = frozenset({"ticket"}), frozenset({"user"}), frozenset({"organization"})
EVERY_KIND = frozenset(KINDS)
EQUALS = frozenset({":"})
ORDERED = frozenset({":", "<", ">", "<=", ">="})
COMPARE: dict[str, Callable[[int, int], bool]] = {
    ":": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
STATUS_ORDER = tuple(STATUSES)
PRIORITY_ORDER = tuple(p for p in PRIORITIES if p is not None)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:?\d{2})?)?")

Match = Callable[[str, Record], bool]


@dataclass(frozen=True)
class Scope:
    """What terms are evaluated against.

    Attributes:
        store: The records.
        caller: The user searching, whom ``me`` names.
        kinds: The kinds of record searched; a keyword that applies to none of them is refused.
        repeated: ``all`` (every term must hold) or ``any`` (terms repeating a keyword are
            alternatives: ``status:new status:open``).
        unknown: ``error`` refuses an unknown keyword; ``text`` searches ``foo:bar`` as text.
    """

    store: Store
    caller: Record | None
    kinds: frozenset[str] = EVERY_KIND
    repeated: Literal["all", "any"] = "all"
    unknown: Literal["error", "text"] = "error"


Build = Callable[[Scope, Term], Match]


@dataclass(frozen=True)
class Keyword:
    """One searchable keyword: the kinds it applies to, its operators, and its matcher."""

    kinds: frozenset[str]
    build: Build
    ops: frozenset[str] = EQUALS


def _words(value: str) -> re.Pattern[str]:
    # A term matches where a word starts: after the start or a non-word character.
    lowered = value.lower()
    guard = r"(?<!\w)" if re.match(r"\w", lowered) else ""
    return re.compile(guard + re.escape(lowered))


def _has_words(pattern: re.Pattern[str], texts: Iterable[object]) -> bool:
    return any(isinstance(text, str) and pattern.search(text.lower()) for text in texts)


def _type(scope: Scope, term: Term) -> Match:
    wanted = term.value.lower()
    if wanted not in KINDS:
        raise QueryError(f"Invalid type:{term.value}")
    return lambda kind, record: kind == wanted


def _ordered(attribute: str, order: tuple[str, ...], blank: bool) -> Build:
    def build(scope: Scope, term: Term) -> Match:
        wanted = term.value.lower()
        if blank and wanted == "none":
            if term.op != ":":
                raise QueryError(f"Invalid {term}")
            return lambda kind, record: record.get(attribute) is None
        if wanted not in order:
            raise QueryError(f"Invalid {term}: one of {', '.join(order)}")
        rank, compare = order.index(wanted), COMPARE[term.op]
        return lambda kind, record: (
            record.get(attribute) in order and compare(order.index(record[attribute]), rank)
        )

    return build


def _one_of(attribute: str, values: Iterable[str | None]) -> Build:
    allowed = {value for value in values if value is not None}

    def build(scope: Scope, term: Term) -> Match:
        wanted = term.value.lower()
        if wanted == "none":
            return lambda kind, record: record.get(attribute) is None
        if wanted not in allowed:
            raise QueryError(f"Invalid {term}: one of {', '.join(sorted(allowed))}")
        return lambda kind, record: record.get(attribute) == wanted

    return build


def _tags(scope: Scope, term: Term) -> Match:
    wanted = term.value.lower()
    if wanted == "none":
        return lambda kind, record: not record.get("tags")
    return lambda kind, record: wanted in {str(tag).lower() for tag in record.get("tags") or []}


def people(scope: Scope, value: str) -> set[int | None]:
    """The ids a user reference names: ``none``, ``me``, an id, an email or a full name."""
    wanted = value.lower()
    if wanted == "none":
        return {None}
    if wanted == "me":
        return {scope.caller["id"]} if scope.caller else set()
    if wanted.isdigit():
        return {int(wanted)}
    users = [user for user in scope.store.users.records.values() if user["active"]]
    if "@" in wanted:
        return {user["id"] for user in users if wanted in scope.store.emails_of(user)}
    return {user["id"] for user in users if (user.get("name") or "").lower() == wanted}


def _person(attribute: str) -> Build:
    def build(scope: Scope, term: Term) -> Match:
        ids = people(scope, term.value)
        return lambda kind, record: record.get(attribute) in ids

    return build


def _organization(scope: Scope, term: Term) -> Match:
    wanted = term.value.lower()
    ids: set[int | None]
    if wanted == "none":
        ids = {None}
    elif wanted.isdigit():
        ids = {int(wanted)}
    else:
        orgs = scope.store.organizations.records.values()
        ids = {org["id"] for org in orgs if (org.get("name") or "").lower() == wanted}
    return lambda kind, record: record.get("organization_id") in ids


def instants(term: Term) -> tuple[int, int]:
    """The epoch seconds a date term names, as a half-open range ``[start, end)``.

    Raises:
        QueryError: The value is neither ``YYYY-MM-DD`` nor an ISO 8601 time.
    """
    invalid = QueryError(
        f"Invalid {term}: dates are YYYY-MM-DD or ISO 8601 times (relative dates are not supported)"
    )
    if not _TIME.fullmatch(term.value):
        raise invalid
    try:
        moment = datetime.fromisoformat(term.value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    start = int(moment.timestamp())
    return start, start + (86400 if _DAY.fullmatch(term.value) else 1)


def _date(attribute: str) -> Build:
    def build(scope: Scope, term: Term) -> Match:
        start, end = instants(term)
        within: dict[str, Callable[[int], bool]] = {
            ":": lambda at: start <= at < end,
            "<": lambda at: at < start,
            "<=": lambda at: at < end,
            ">": lambda at: at >= end,
            ">=": lambda at: at >= start,
        }
        test = within[term.op]
        return lambda kind, record: bool(record.get(attribute)) and test(epoch(record[attribute]))

    return build


def _email(scope: Scope, term: Term) -> Match:
    wanted = term.value.lower()
    return lambda kind, record: wanted in scope.store.emails_of(record)


def _exact(attribute: str) -> Build:
    def build(scope: Scope, term: Term) -> Match:
        wanted = term.value.lower()
        return lambda kind, record: str(record.get(attribute) or "").lower() == wanted

    return build


def _worded(attribute: str) -> Build:
    def build(scope: Scope, term: Term) -> Match:
        pattern = _words(term.value)
        return lambda kind, record: _has_words(pattern, [record.get(attribute)])

    return build


KEYWORDS: dict[str, Keyword] = {
    "type": Keyword(EVERY_KIND, _type),
    "status": Keyword(TICKET, _ordered("status", STATUS_ORDER, blank=False), ORDERED),
    "priority": Keyword(TICKET, _ordered("priority", PRIORITY_ORDER, blank=True), ORDERED),
    "ticket_type": Keyword(TICKET, _one_of("type", TYPES)),
    "role": Keyword(USER, _one_of("role", ROLES)),
    "tags": Keyword(EVERY_KIND - {"group"}, _tags),
    "tag": Keyword(EVERY_KIND - {"group"}, _tags),
    "assignee": Keyword(TICKET, _person("assignee_id")),
    "requester": Keyword(TICKET, _person("requester_id")),
    "submitter": Keyword(TICKET, _person("submitter_id")),
    "organization": Keyword(TICKET | USER, _organization),
    "created": Keyword(EVERY_KIND, _date("created_at"), ORDERED),
    "updated": Keyword(EVERY_KIND, _date("updated_at"), ORDERED),
    "email": Keyword(USER, _email),
    "external_id": Keyword(TICKET | USER | ORGANIZATION, _exact("external_id")),
    "name": Keyword(USER | ORGANIZATION | {"group"}, _worded("name")),
    "subject": Keyword(TICKET, _worded("subject")),
}


def _ticket_text(store: Store, record: Record) -> list[object]:
    return [record.get("subject"), record.get("description")]


def _user_text(store: Store, record: Record) -> list[object]:
    return [record.get("name"), record.get("notes"), record.get("phone"), *store.emails_of(record)]


def _organization_text(store: Store, record: Record) -> list[object]:
    texts = [record.get("name"), record.get("details"), record.get("notes")]
    return [*texts, *(record.get("domain_names") or [])]


# The fields free text looks in, by kind.
TEXT: dict[str, Callable[[Store, Record], list[object]]] = {
    "ticket": _ticket_text,
    "user": _user_text,
    "organization": _organization_text,
    "group": lambda store, record: [record.get("name")],
}


def _text(scope: Scope, term: Term) -> Match:
    pattern = _words(term.value)
    number = int(term.value) if term.value.isdigit() else None

    def match(kind: str, record: Record) -> bool:
        if number is not None and kind == "ticket" and record["id"] == number:
            return True
        return _has_words(pattern, TEXT[kind](scope.store, record))

    return match


def _term(scope: Scope, term: Term) -> Match:
    if term.keyword is None:
        return _text(scope, term)
    keyword = KEYWORDS.get(term.keyword)
    if keyword is None:
        if scope.unknown == "text":
            return _text(scope, Term(None, ":", f"{term.keyword}{term.op}{term.value}"))
        raise QueryError(f"Unsupported search keyword {term.keyword}{term.op}")
    if not keyword.kinds & scope.kinds:
        raise QueryError(f"Searching {'/'.join(sorted(scope.kinds))} by {term.keyword}{term.op}")
    if term.op not in keyword.ops:
        raise QueryError(f"Invalid {replace(term, negated=False)}: {term.keyword} takes only ':'")
    inner = keyword.build(scope, term)
    kinds = keyword.kinds
    return lambda kind, record: kind in kinds and inner(kind, record)


def _negated(match: Match, negated: bool) -> Match:
    return (lambda kind, record: not match(kind, record)) if negated else match


def compile_query(scope: Scope, terms: list[Term]) -> Match:
    """One matcher for all the terms.

    Raises:
        QueryError: A term the language cannot evaluate.
    """
    groups: dict[object, list[Match]] = {}
    for n, term in enumerate(terms):
        # Under ``any``, positive terms on one keyword are one group of alternatives.
        alone = scope.repeated == "all" or term.keyword is None or term.negated
        groups.setdefault(n if alone else term.keyword, []).append(
            _negated(_term(scope, term), term.negated)
        )
    alternatives = list(groups.values())
    return lambda kind, record: all(
        any(match(kind, record) for match in options) for options in alternatives
    )


def visible(store: Store, kind: str) -> Iterator[Record]:
    """The records of a kind that search can find (not deleted), by id."""
    if kind == "ticket":
        yield from _by_id(store.tickets.records, lambda t: t["status"] != "deleted")
    elif kind == "user":
        yield from _by_id(store.users.records, lambda u: bool(u["active"]))
    elif kind == "organization":
        yield from _by_id(store.organizations.records, lambda o: o["deleted_at"] is None)


def _by_id(records: dict[int, Record], keep: Callable[[Record], bool]) -> Iterator[Record]:
    return (record for record in map(records.__getitem__, sorted(records)) if keep(record))


def find(scope: Scope, terms: list[Term]) -> list[tuple[str, Record]]:
    """Every visible record of the scope's kinds that all the terms match, by kind then id.

    Raises:
        QueryError: No terms, or a term the language cannot evaluate.
    """
    if not terms:
        raise QueryError("Invalid search: the query is empty")
    match = compile_query(scope, terms)
    with scope.store.lock:
        return [
            (kind, record)
            for kind in KINDS
            if kind in scope.kinds
            for record in visible(scope.store, kind)
            if match(kind, record)
        ]
