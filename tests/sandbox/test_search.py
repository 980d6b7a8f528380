"""The sandbox's search over real HTTP, checked against the store's records filtered here.

Every expected answer is computed in this file from the sandbox's snapshot, with its own reading
of the rules (words split on non-word characters, hand-written status orders), never by the
sandbox's evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.sandbox.oas import response_schema, validate
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import AGENT_EMAIL, API_TOKEN

Record = dict[str, Any]
Found = list[tuple[str, int]]
KIND_ORDER = {"ticket": 0, "user": 1, "organization": 2}
STATUS_RANK = {"new": 0, "open": 1, "pending": 2, "hold": 3, "solved": 4, "closed": 5}
PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
CAP = 1000


_CLIENTS: dict[tuple[str, str], httpx.Client] = {}


@pytest.fixture(scope="module", autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _CLIENTS:
        _CLIENTS.popitem()[1].close()


def get(sandbox: Sandbox, path: str, email: str | None = None, **params: Any) -> httpx.Response:
    """A GET as ``email`` (the admin unless given), on a connection kept for the module."""
    login = email or sandbox.admin_email
    key = (sandbox.base_url, login)
    if key not in _CLIENTS:
        _CLIENTS[key] = httpx.Client(auth=(f"{login}/token", API_TOKEN))
    url = sandbox.base_url + path if path.startswith("/") else path
    # An empty mapping would replace the query a followed link already carries.
    return _CLIENTS[key].get(url, params=params or None)


def ok(sandbox: Sandbox, path: str, **params: Any) -> dict[str, Any]:
    response = get(sandbox, path, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    validate(response_schema(path), body)
    return body


_RECORDS: dict[tuple[int, ...], dict[str, list[Record]]] = {}


def records(sandbox: Sandbox) -> dict[str, list[Record]]:
    """The searchable records, by kind: what is not deleted (copied once per change)."""
    store = sandbox.store
    versions = (id(store), store.tickets.version, store.users.version, store.organizations.version)
    if versions not in _RECORDS:
        _RECORDS.clear()
        _RECORDS[versions] = _searchable(store.snapshot())
    return _RECORDS[versions]


def _searchable(state: dict[str, Any]) -> dict[str, list[Record]]:
    return {
        "ticket": [t for t in state["tickets"].values() if t["status"] != "deleted"],
        "user": [u for u in state["users"].values() if u["active"]],
        "organization": [o for o in state["organizations"].values() if not o["deleted_at"]],
    }


def expected(sandbox: Sandbox, keep: Callable[[str, Record], bool]) -> Found:
    """The records ``keep`` accepts, in the sandbox's documented order: kind, then id."""
    found = [
        (kind, record["id"])
        for kind, rows in records(sandbox).items()
        for record in rows
        if keep(kind, record)
    ]
    return sorted(found, key=lambda pair: (KIND_ORDER[pair[0]], pair[1]))


def pages(sandbox: Sandbox, first: httpx.Response) -> Iterator[dict[str, Any]]:
    """Pages from ``first`` on, following ``next_page`` up to the 1,000-result cap."""
    response, seen = first, 0
    while True:
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        validate(response_schema("/api/v2/search"), body)
        yield body
        seen += len(body["results"])
        if body["next_page"] is None or seen >= CAP:
            return
        response = get(sandbox, body["next_page"])


def search_all(sandbox: Sandbox, query: str, **params: Any) -> tuple[Found, int]:
    """What the query finds, as far as the cap lets pages go, and the count the pages give."""
    found: Found = []
    counts = set()
    for body in pages(sandbox, get(sandbox, "/api/v2/search", query=query, **params)):
        assert all(result["result_type"] in KIND_ORDER for result in body["results"])
        found += [(result["result_type"], result["id"]) for result in body["results"]]
        counts.add(body["count"])
    assert len(counts) == 1
    return found, counts.pop()


def words(*texts: object) -> list[str]:
    return [w for text in texts if isinstance(text, str) for w in re.split(r"\W+", text.lower())]


def text_of(sandbox: Sandbox, kind: str, record: Record) -> list[object]:
    if kind == "ticket":
        return [record["subject"], record["description"]]
    if kind == "user":
        return [record["name"], record["notes"], record["phone"], *sandbox.store.emails_of(record)]
    return [record["name"], record["details"], record["notes"], *record["domain_names"]]


def has_word(sandbox: Sandbox, prefix: str) -> Callable[[str, Record], bool]:
    return lambda kind, record: any(
        w.startswith(prefix) for w in words(*text_of(sandbox, kind, record))
    )


def has_phrase(sandbox: Sandbox, phrase: str) -> Callable[[str, Record], bool]:
    return lambda kind, record: any(
        f" {phrase}" in f" {text.lower()}"
        for text in text_of(sandbox, kind, record)
        if isinstance(text, str)
    )


def day_start(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


def at(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())


def agent_id(sandbox: Sandbox) -> int:
    return next(u["id"] for u in sandbox.store.users.records.values() if u["email"] == AGENT_EMAIL)


def an_organization(sandbox: Sandbox) -> Record:
    return next(o for o in records(sandbox)["organization"] if o["external_id"] and o["tags"])


def ticket_only(test: Callable[[Record], bool]) -> Callable[[str, Record], bool]:
    return lambda kind, record: kind == "ticket" and test(record)


def keyword_cases(sandbox: Sandbox) -> list[tuple[str, Callable[[str, Record], bool]]]:
    """(query, what it must find) pairs, the truth written out by hand."""
    org = an_organization(sandbox)
    agent, admin = agent_id(sandbox), min(sandbox.store.users.records)
    requester = records(sandbox)["ticket"][0]["requester_id"]
    user = next(u for u in records(sandbox)["user"] if u["external_id"] and u["organization_id"])
    day = records(sandbox)["ticket"][3]["created_at"][:10]
    return [
        ("type:ticket status:open", ticket_only(lambda t: t["status"] == "open")),
        ("status<pending", ticket_only(lambda t: STATUS_RANK[t["status"]] < 2)),
        ("status>=solved", ticket_only(lambda t: t["status"] in ("solved", "closed"))),
        (
            "status<=hold -status:new",
            ticket_only(lambda t: t["status"] in ("open", "pending", "hold")),
        ),
        ("status>open status<solved", ticket_only(lambda t: t["status"] in ("pending", "hold"))),
        ("priority>normal", ticket_only(lambda t: t["priority"] in ("high", "urgent"))),
        ("priority:none", ticket_only(lambda t: t["priority"] is None)),
        ("ticket_type:incident", ticket_only(lambda t: t["type"] == "incident")),
        ("tags:vip", lambda kind, r: "vip" in r["tags"]),
        (
            "tag:billing -tags:bug",
            lambda kind, r: "billing" in r["tags"] and "bug" not in r["tags"],
        ),
        ("type:user tags:none", lambda kind, r: kind == "user" and not r["tags"]),
        (f"assignee:{AGENT_EMAIL}", ticket_only(lambda t: t["assignee_id"] == agent)),
        ("assignee:none type:ticket", ticket_only(lambda t: t["assignee_id"] is None)),
        (
            "assignee:me",
            ticket_only(lambda t: t["assignee_id"] == admin),
        ),
        (f"requester:{requester}", ticket_only(lambda t: t["requester_id"] == requester)),
        (
            f'organization:"{org["name"]}"',
            lambda kind, r: kind != "organization" and r["organization_id"] == org["id"],
        ),
        (
            f"organization:{org['id']} type:user",
            lambda k, r: k == "user" and r["organization_id"] == org["id"],
        ),
        ("organization:none type:user", lambda k, r: k == "user" and r["organization_id"] is None),
        (
            "type:organization created<2025-06-01",
            lambda k, r: k == "organization" and at(r["created_at"]) < day_start("2025-06-01"),
        ),
        (
            f"created:{day}",
            lambda k, r: day_start(day) <= at(r["created_at"]) < day_start(day) + 86400,
        ),
        (
            f"type:ticket created>{day}",
            ticket_only(lambda t: at(t["created_at"]) >= day_start(day) + 86400),
        ),
        (
            f"type:ticket created>={day}",
            ticket_only(lambda t: at(t["created_at"]) >= day_start(day)),
        ),
        (
            f"type:ticket created<={day}",
            ticket_only(lambda t: at(t["created_at"]) < day_start(day) + 86400),
        ),
        (
            "updated>2026-05-01T12:00:00Z type:user",
            lambda k, r: k == "user" and at(r["updated_at"]) > day_start("2026-05-01") + 43200,
        ),
        (f"email:{user['email'].upper()}", lambda k, r: k == "user" and r["id"] == user["id"]),
        (
            f"external_id:{user['external_id']}",
            lambda k, r: r.get("external_id") == user["external_id"],
        ),
        (
            f"external_id:{org['external_id']}",
            lambda k, r: r.get("external_id") == org["external_id"],
        ),
        ("type:user role:agent", lambda k, r: k == "user" and r["role"] == "agent"),
        (
            "subject:refund",
            ticket_only(lambda t: any(w.startswith("refund") for w in words(t["subject"]))),
        ),
        ("printer", has_word(sandbox, "printer")),
        ("PRINT -type:ticket", lambda k, r: k != "ticket" and has_word(sandbox, "print")(k, r)),
        ("café", has_word(sandbox, "café")),
        ('"login refund"', has_phrase(sandbox, "login refund")),
        (
            'type:ticket -"login refund" crash',
            lambda k, r: (
                k == "ticket"
                and not has_phrase(sandbox, "login refund")(k, r)
                and has_word(sandbox, "crash")(k, r)
            ),
        ),
        (
            "example.com type:user",
            lambda k, r: (
                k == "user" and any("@example.com" in e for e in sandbox.store.emails_of(r))
            ),
        ),
    ]


def test_every_keyword_finds_what_the_records_say(shared_sandbox: Sandbox) -> None:
    wrong = []
    for query, keep in keyword_cases(shared_sandbox):
        truth = expected(shared_sandbox, keep)
        assert truth, f"{query!r} finds nothing in this data: not a test"
        found, count = search_all(shared_sandbox, query)
        if (found, count) != (truth[:CAP], len(truth)):
            wrong.append(f"{query}: {len(found)} of {count} found, {len(truth)} expected")
    assert wrong == []


def test_a_bare_number_finds_the_ticket_with_that_id(shared_sandbox: Sandbox) -> None:
    ticket = max(records(shared_sandbox)["ticket"], key=lambda t: t["id"])
    found = search_all(shared_sandbox, f"{ticket['id']} type:ticket")
    assert found == ([("ticket", ticket["id"])], 1)


def test_count_is_the_whole_number_found(shared_sandbox: Sandbox) -> None:
    every_ticket = ("type:ticket", lambda kind, record: kind == "ticket")
    for query, keep in [every_ticket, *keyword_cases(shared_sandbox)[:8]]:
        body = ok(shared_sandbox, "/api/v2/search/count", query=query)
        assert body == {"count": len(expected(shared_sandbox, keep))}, query
    assert ok(shared_sandbox, "/api/v2/search/count", query="type:ticket")["count"] > 1000


def every_ticket(sandbox: Sandbox) -> Found:
    return expected(sandbox, lambda kind, record: kind == "ticket")


@pytest.mark.parametrize("per_page", [100, 7, 30])
def test_pages_have_no_repeats_or_gaps_up_to_the_cap(
    shared_sandbox: Sandbox, per_page: int
) -> None:
    truth = expected(shared_sandbox, has_word(shared_sandbox, "printer"))
    assert 300 < len(truth) < CAP
    found, count = search_all(shared_sandbox, "printer", per_page=per_page)
    assert (found, count) == (truth, len(truth))


def test_the_thousandth_result_is_the_last_one_served(shared_sandbox: Sandbox) -> None:
    truth = every_ticket(shared_sandbox)
    assert len(truth) > CAP
    bodies = list(pages(shared_sandbox, get(shared_sandbox, "/api/v2/search", query="type:ticket")))

    assert [("ticket", r["id"]) for body in bodies for r in body["results"]] == truth[:CAP]
    assert len(bodies) == 10
    # Zendesk still links the page past the cap, and refuses it.
    beyond = get(shared_sandbox, bodies[-1]["next_page"])
    assert beyond.status_code == 422
    assert beyond.json() == {
        "error": "invalid",
        "description": "Invalid search: Requested response size was greater than "
        "Search Response Limits",
    }
    straddling = get(shared_sandbox, "/api/v2/search", query="type:ticket", per_page=30, page=34)
    assert straddling.status_code == 422
    last_whole = ok(shared_sandbox, "/api/v2/search", query="type:ticket", per_page=40, page=25)
    assert [("ticket", r["id"]) for r in last_whole["results"]] == truth[960:CAP]


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", tickets=1100, users=30, search_page_past_cap="truncate")],
    indirect=True,
)
def test_a_page_across_the_cap_can_be_cut_at_it(sandbox: Sandbox) -> None:
    truth = every_ticket(sandbox)
    assert len(truth) > CAP

    straddling = ok(sandbox, "/api/v2/search", query="type:ticket", per_page=30, page=34)
    beyond = get(sandbox, straddling["next_page"])

    assert [("ticket", r["id"]) for r in straddling["results"]] == truth[990:CAP]
    assert straddling["count"] == len(truth)
    assert beyond.status_code == 422


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize(
    "sort_by", ["created_at", "updated_at", "status", "priority", "ticket_type"]
)
def test_sorting_orders_by_the_field_with_ties_by_id(
    shared_sandbox: Sandbox, sort_by: str, order: str
) -> None:
    keys: dict[str, Callable[[Record], Any]] = {
        "created_at": lambda t: at(t["created_at"]),
        "updated_at": lambda t: at(t["updated_at"]),
        "status": lambda t: STATUS_RANK[t["status"]],
        "priority": lambda t: PRIORITY_RANK.get(t["priority"], -1),
        "ticket_type": lambda t: t["type"] or "",
    }
    tickets = [t for t in records(shared_sandbox)["ticket"] if "refund" in t["tags"]]
    assert 100 < len(tickets) < CAP
    key = keys[sort_by]
    if order == "asc":
        ranked = sorted(tickets, key=lambda t: (key(t), t["id"]))
    else:
        ranked = sorted(tickets, key=lambda t: (key(t), -t["id"]), reverse=True)

    found, _ = search_all(
        shared_sandbox, "type:ticket tags:refund", sort_by=sort_by, sort_order=order
    )

    assert found == [("ticket", t["id"]) for t in ranked]
