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
    return next(
        int(u["id"]) for u in sandbox.store.users.records.values() if u["email"] == AGENT_EMAIL
    )


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


EXPORT = "/api/v2/search/export"


def export_all(sandbox: Sandbox, **params: Any) -> tuple[list[int], int]:
    """Ids in the order every export page gives them, following ``links.next``, and pages."""
    body = ok(sandbox, EXPORT, **params)
    ids, count = [], 0
    while True:
        assert "count" not in body
        assert body["links"]["prev"] is None
        ids += [result["id"] for result in body["results"]]
        count += 1
        if not body["meta"]["has_more"]:
            assert body["links"]["next"] is None
            return ids, count
        response = get(sandbox, body["links"]["next"])
        assert response.status_code == 200, response.text
        body = response.json()
        validate(response_schema(EXPORT), body)


def newest_first(rows: list[Record]) -> list[int]:
    return [r["id"] for r in sorted(rows, key=lambda r: (-at(r["created_at"]), r["id"]))]


def test_export_pages_one_kind_newest_first_past_the_cap(shared_sandbox: Sandbox) -> None:
    tickets = records(shared_sandbox)["ticket"]
    assert len(tickets) > CAP
    ids, count = export_all(
        shared_sandbox, query="created>2000-01-01", **{"filter[type]": "ticket", "page[size]": 400}
    )
    assert ids == newest_first(tickets)
    assert count == -(-len(tickets) // 400)
    users, _ = export_all(shared_sandbox, query="example", **{"filter[type]": "user"})
    truth = [
        u for u in records(shared_sandbox)["user"] if has_word(shared_sandbox, "example")("user", u)
    ]
    assert users == newest_first(truth)


def test_export_results_carry_their_type(shared_sandbox: Sandbox) -> None:
    body = ok(shared_sandbox, EXPORT, query="tags:vip", **{"filter[type]": "organization"})
    assert body["results"]
    assert {r["result_type"] for r in body["results"]} == {"organization"}
    assert body["meta"]["before_cursor"] is None


def test_export_cursor_survives_changes_between_pages(sandbox: Sandbox) -> None:
    params = {"query": "printer", "filter[type]": "ticket", "page[size]": 50}
    matching = [t for t in records(sandbox)["ticket"] if has_word(sandbox, "printer")("ticket", t)]
    truth = newest_first(matching)
    first = ok(sandbox, EXPORT, **params)
    # A served record leaving the results shifts no later one out of reach, and a new one
    # (the newest of all, so before the cursor) is not served twice.
    sandbox.store.update_ticket(truth[0], subject="Moved", description="Moved")
    sandbox.store.create_ticket(subject="Printer", description="Printer", status="open")
    rest, _ = export_all(sandbox, **params, **{"page[after]": first["meta"]["after_cursor"]})
    assert [r["id"] for r in first["results"]] + rest == truth


@pytest.mark.parametrize(
    ("params", "title"),
    [
        ({"query": "printer"}, "filter[type] is required"),
        ({"query": "printer", "filter[type]": "ticket", "page[size]": "0"}, "page[size]"),
        ({"query": "type:ticket printer", "filter[type]": "ticket"}, "Invalid type:ticket"),
        ({"query": "-type:user", "filter[type]": "ticket"}, "Invalid -type:user"),
        ({"query": "status:open", "filter[type]": "user"}, "by status:"),
        ({"filter[type]": "ticket"}, "the query is empty"),
    ],
)
def test_export_refusals(shared_sandbox: Sandbox, params: dict[str, str], title: str) -> None:
    response = get(shared_sandbox, EXPORT, **params)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "QueryError"
    assert title in error["title"]


@pytest.mark.parametrize(
    "sandbox",
    [
        SandboxConfig(
            rate_limits="off", tickets=200, users=30, search_export_type_in_query="agreeing"
        )
    ],
    indirect=True,
)
def test_export_can_let_an_agreeing_type_through(sandbox: Sandbox) -> None:
    agreeing = ok(sandbox, EXPORT, query="type:ticket status:open", **{"filter[type]": "ticket"})
    other = get(sandbox, EXPORT, query="type:user", **{"filter[type]": "ticket"})
    opened = [t for t in records(sandbox)["ticket"] if t["status"] == "open"]
    assert [r["id"] for r in agreeing["results"]] == newest_first(opened)[:100]
    assert other.status_code == 400


@pytest.mark.parametrize(
    ("params", "title"),
    [
        ({"query": 'status:"open'}, "Unbalanced quote"),
        ({"query": 'printer"s'}, "Unbalanced quote"),
        ({"query": "type:sample_type"}, "Invalid type:sample_type"),
        ({"query": "foo:bar"}, "Unsupported search keyword foo:"),
        ({"query": "status:lost"}, "Invalid status:lost"),
        ({"query": "priority:none<"}, "Invalid priority:none<"),
        ({"query": "tags>vip"}, "tags takes only ':'"),
        ({"query": "created>2hours"}, "relative dates are not supported"),
        ({"query": "created:2024-13-45"}, "Invalid created:2024-13-45"),
        ({"query": "created<20240501"}, "Invalid created<20240501"),
        ({"query": "printer -"}, "Invalid search term"),
        ({"query": 'printer ""'}, "Invalid search term"),
        ({"query": "   "}, "the query is empty"),
        ({}, "the query is empty"),
        ({"query": "printer", "sort_by": "subject"}, "Invalid sort_by subject"),
        ({"query": "printer", "sort_order": "up"}, "Invalid sort_order up"),
        ({"query": "printer", "page": "0"}, "page and per_page"),
    ],
)
def test_malformed_searches_are_refused(
    shared_sandbox: Sandbox, params: dict[str, str], title: str
) -> None:
    for path in ("/api/v2/search", "/api/v2/search/count"):
        if path.endswith("count") and set(params) - {"query"}:
            continue
        response = get(shared_sandbox, path, **params)
        assert response.status_code == 400, (path, response.text)
        (error,) = response.json()["errors"]
        assert error["code"] == "QueryError"
        assert title in error["title"]


def test_end_users_cannot_search(shared_sandbox: Sandbox) -> None:
    end_user = next(u for u in records(shared_sandbox)["user"] if u["role"] == "end-user")
    paths = [
        ("/api/v2/search", {"query": "printer"}),
        ("/api/v2/search/count", {"query": "printer"}),
        (EXPORT, {"query": "printer", "filter[type]": "ticket"}),
        ("/api/v2/users/autocomplete", {"name": "an"}),
        ("/api/v2/organizations/autocomplete", {"name": "be"}),
        ("/api/v2/organizations/search", {"name": "x"}),
    ]
    for path, params in paths:
        assert get(shared_sandbox, path, end_user["email"], **params).status_code == 403, path
    # Organizations search is for admins.
    assert (
        get(shared_sandbox, "/api/v2/organizations/search", AGENT_EMAIL, name="x").status_code
        == 403
    )
    assert get(shared_sandbox, "/api/v2/search", AGENT_EMAIL, query="x").status_code == 200


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", tickets=300, users=60, search_repeated_keywords="any")],
    indirect=True,
)
def test_repeated_keywords_can_be_alternatives(sandbox: Sandbox) -> None:
    found, _ = search_all(sandbox, "status:new status:open tags:vip -tags:bug")
    truth = expected(
        sandbox,
        lambda kind, r: (
            kind == "ticket"
            and r["status"] in ("new", "open")
            and "vip" in r["tags"]
            and "bug" not in r["tags"]
        ),
    )
    assert truth
    assert found == truth


def test_repeated_keywords_all_hold_by_default(shared_sandbox: Sandbox) -> None:
    assert search_all(shared_sandbox, "status:new status:open") == ([], 0)
    both = expected(shared_sandbox, lambda k, r: {"billing", "refund"} <= set(r["tags"]))
    assert both
    assert search_all(shared_sandbox, "tags:billing tags:refund") == (both, len(both))


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", tickets=300, users=60, search_unknown_keywords="text")],
    indirect=True,
)
def test_unknown_keywords_can_be_searched_as_text(sandbox: Sandbox) -> None:
    ticket = records(sandbox)["ticket"][0]
    sandbox.store.update_ticket(ticket["id"], subject="Error code:E42 again")

    assert search_all(sandbox, "code:E42") == ([("ticket", ticket["id"])], 1)
    assert search_all(sandbox, "colour:blue") == ([], 0)


def test_organizations_search_matches_external_id_or_name_whole(shared_sandbox: Sandbox) -> None:
    org = an_organization(shared_sandbox)
    path = "/api/v2/organizations/search"

    by_id = ok(shared_sandbox, path, external_id=org["external_id"].upper())
    by_name = ok(shared_sandbox, path, name=org["name"].lower())
    partial = ok(shared_sandbox, path, name=org["name"][:-1])
    both = get(shared_sandbox, path, name=org["name"], external_id=org["external_id"])
    neither = get(shared_sandbox, path)

    assert [o["id"] for o in by_id["organizations"]] == [org["id"]]
    assert [o["id"] for o in by_name["organizations"]] == [org["id"]]
    assert (partial["organizations"], partial["count"]) == ([], 0)
    assert (both.status_code, neither.status_code) == (400, 400)


def test_deleted_organizations_are_not_found(sandbox: Sandbox) -> None:
    org = an_organization(sandbox)
    sandbox.store.delete_organization(org["id"])

    body = ok(sandbox, "/api/v2/organizations/search", external_id=org["external_id"])
    found, _ = search_all(sandbox, f"external_id:{org['external_id']}")

    assert body["organizations"] == []
    assert found == []


def autocompleted(sandbox: Sandbox, path: str, key: str, **params: Any) -> list[int]:
    ids: list[int] = []
    body = ok(sandbox, path, **params)
    while True:
        ids += [row["id"] for row in body[key]]
        if body["next_page"] is None:
            return ids
        response = get(sandbox, body["next_page"])
        assert response.status_code == 200
        body = response.json()
        validate(response_schema(path), body)


def by_name(rows: list[Record]) -> list[int]:
    return [r["id"] for r in sorted(rows, key=lambda r: (r["name"].lower(), r["id"]))]


def test_autocompletes_find_names_that_start_with_the_value(shared_sandbox: Sandbox) -> None:
    data = records(shared_sandbox)
    org_prefix = data["organization"][0]["name"][:3].upper()
    user_prefix = data["user"][5]["name"].split()[0][:2]
    orgs = [o for o in data["organization"] if o["name"].lower().startswith(org_prefix.lower())]
    users = [u for u in data["user"] if u["name"].lower().startswith(user_prefix.lower())]
    assert len(users) > 5

    found_orgs = autocompleted(
        shared_sandbox, "/api/v2/organizations/autocomplete", "organizations", name=org_prefix
    )
    found_users = autocompleted(
        shared_sandbox, "/api/v2/users/autocomplete", "users", name=user_prefix, per_page=4
    )

    assert found_orgs == by_name(orgs)
    assert found_users == by_name(users)
    missing = get(shared_sandbox, "/api/v2/organizations/autocomplete")
    assert missing.status_code == 400
    validate(response_schema("/api/v2/organizations/autocomplete", status="400"), missing.json())


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", tickets=10, users=10, organization_autocomplete="substring")],
    indirect=True,
)
def test_organization_autocomplete_can_match_inside_the_name(sandbox: Sandbox) -> None:
    orgs = [o for o in records(sandbox)["organization"] if "gmbh" in o["name"].lower()]
    assert orgs
    found = autocompleted(
        sandbox, "/api/v2/organizations/autocomplete", "organizations", name="gmbh"
    )
    assert found == by_name(orgs)


def test_users_search_speaks_the_same_language(shared_sandbox: Sandbox) -> None:
    path = "/api/v2/users/search"
    data = records(shared_sandbox)["user"]
    cases: list[tuple[str, Callable[[Record], bool]]] = [
        ("role:agent", lambda u: u["role"] == "agent"),
        (
            "tags:vip -organization:none",
            lambda u: "vip" in u["tags"] and bool(u["organization_id"]),
        ),
        ("prefers", lambda u: any(w.startswith("prefers") for w in words(u["notes"]))),
        ("created<2025-06-01", lambda u: at(u["created_at"]) < day_start("2025-06-01")),
    ]
    for query, keep in cases:
        body = ok(shared_sandbox, path, query=query)
        assert [u["id"] for u in body["users"]] == sorted(u["id"] for u in data if keep(u))[:100]
        assert body["count"] == sum(map(keep, data)), query
    refused = get(shared_sandbox, path, query="status:open")
    assert refused.status_code == 400
    assert "by status:" in refused.json()["errors"][0]["title"]


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(tickets=50, users=20, search_export_rpm=3)],
    indirect=True,
)
def test_search_export_has_its_own_rate_limit(sandbox: Sandbox) -> None:
    params = {"query": "printer", "filter[type]": "ticket"}
    spent = [get(sandbox, EXPORT, **params) for _ in range(4)]
    searches = [get(sandbox, "/api/v2/search", query="printer") for _ in range(3)]

    assert [r.status_code for r in spent] == [200, 200, 200, 429]
    assert [r.headers["Zendesk-RateLimit-search-export"].split(";")[1] for r in spent[:3]] == [
        " remaining=2",
        " remaining=1",
        " remaining=0",
    ]
    assert spent[3].json()["error"] == "APIRateLimitExceeded"
    assert int(spent[3].headers["Retry-After"]) > 0
    assert all(r.status_code == 200 for r in searches)
    assert "Zendesk-RateLimit-search-export" not in searches[0].headers
    sandbox.store.advance_clock(sandbox.config.window_seconds)
    assert get(sandbox, EXPORT, **params).status_code == 200
