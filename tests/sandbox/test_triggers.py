"""Triggers over HTTP and through the client: the starting set, lists and their paging, search,
writes with Zendesk's refusals, revisions, and the reorder's one-category rule."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.client.rule_examples import grow, one_category
from tests.sandbox.writing import send
from tests.test_api_cli import zdsync_api
from zdsync import catalog
from zdsync.client import ZendeskClient
from zdsync.client.errors import InvalidArgumentsError, InvalidRequestError, NotFoundError
from zdsync.sandbox.config import ADMIN_EMAIL, AGENT_EMAIL, SandboxConfig
from zdsync.sandbox.routes import ROUTES
from zdsync.sandbox.server import Sandbox
from zdsync.sandbox.trigger_writes import trigger_problems

SMALL = SandboxConfig(rate_limits="off", users=120, tickets=10, organizations=5)
pytestmark = pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
GROUPS = ("triggers", "trigger_categories", "user_fields", "user_field_options")
REFUNDS = [{"field": "current_tags", "operator": "includes", "value": "refund"}]
NEW: dict[str, Any] = {
    "title": "Tag refunds",
    "conditions": {"all": REFUNDS},
    "actions": [{"field": "priority", "value": "high"}],
}


def triggers(sandbox: Sandbox) -> dict[int, dict[str, Any]]:
    return sandbox.store.triggers.triggers


def firing_order(sandbox: Sandbox) -> list[int]:
    """Ids by category position, then position in the category: worked out from the records."""
    book = sandbox.store.triggers
    return [
        t["id"]
        for t in sorted(
            book.triggers.values(),
            key=lambda t: (book.categories[t["category_id"]]["position"], t["position"]),
        )
    ]


def pages(sandbox: Sandbox, path: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of a cursor list, followed by its links until ``has_more`` is false."""
    found: list[dict[str, Any]] = []
    body = send(sandbox, "GET", path, query=query).json()
    found.append(body)
    while body["meta"]["has_more"]:
        link = urlsplit(body["links"]["next"])
        body = send(sandbox, "GET", link.path, query=dict(parse_qsl(link.query))).json()
        found.append(body)
    return found


@pytest.mark.parametrize(
    "op", [op for op in catalog.OPERATIONS if op.group in GROUPS], ids=lambda op: op.name
)
def test_every_operation_of_the_groups_is_served(sandbox: Sandbox, op: catalog.Operation) -> None:
    assert op.name in ROUTES


def test_the_starting_set_is_valid_categorised_and_has_revisions(sandbox: Sandbox) -> None:
    book = sandbox.store.triggers
    assert len(book.categories) == 3
    assert len(book.triggers) == 9
    assert sum(not t["active"] for t in book.triggers.values()) == 2
    for trigger in book.triggers.values():
        assert trigger_problems(sandbox.store, trigger) == [], trigger["title"]
        assert trigger["category_id"] in book.categories
        history = book.revisions[trigger["id"]]
        assert history[-1]["snapshot"]["title"] == trigger["title"]
        assert history[-1]["snapshot"]["active"] == trigger["active"]
    assert max(len(h) for h in book.revisions.values()) >= 2


def test_the_list_pages_by_cursor_in_firing_order(sandbox: Sandbox) -> None:
    read = pages(sandbox, "/api/v2/triggers", {"page[size]": 2})

    assert [t["id"] for page in read for t in page["triggers"]] == firing_order(sandbox)
    assert len(read) == 5
    # The last page keeps its cursors; only has_more says it is the last.
    assert read[-1]["meta"]["after_cursor"] is not None


def test_the_client_reads_the_list_and_its_filters(sandbox: Sandbox, client: ZendeskClient) -> None:
    everything = client.call("triggers.list")["triggers"]
    inactive = client.call("triggers.list", active=False)["triggers"]
    category = sandbox.store.triggers.first_category()
    in_first = client.call("triggers.list", category_id=category)["triggers"]
    active = client.call("triggers.active")["triggers"]

    assert [t["id"] for t in everything] == firing_order(sandbox)
    assert {t["id"] for t in inactive} == {
        i for i, t in triggers(sandbox).items() if not t["active"]
    }
    assert {t["id"] for t in in_first} == {
        i for i, t in triggers(sandbox).items() if t["category_id"] == category
    }
    assert {t["id"] for t in active} == {i for i, t in triggers(sandbox).items() if t["active"]}
    sent = [e for e in sandbox.app.request_log() if e["path"] == "/api/v2/triggers"]
    assert sent[1]["query"] == {"active": "false", "page[size]": "100"}


def test_links_keep_the_filters_and_the_order(sandbox: Sandbox) -> None:
    query = {"page[size]": 1, "active": "true", "sort": "alphabetical"}
    read = pages(sandbox, "/api/v2/triggers", query)

    titles = [t["title"] for page in read for t in page["triggers"]]
    assert titles == sorted(t["title"] for t in triggers(sandbox).values() if t["active"])
    assert "active=true" in read[0]["links"]["next"]
    newest = send(
        sandbox, "GET", "/api/v2/triggers", query={"page[size]": 100, "sort": "created_at"}
    )
    stamps = [t["created_at"] for t in newest.json()["triggers"]]
    assert stamps == sorted(stamps, reverse=True)  # created_at sorts newest first by default


def test_offset_pages_sort_by_and_sort_order(sandbox: Sandbox) -> None:
    first = send(
        sandbox,
        "GET",
        "/api/v2/triggers",
        query={"per_page": 4, "sort_by": "alphabetical", "sort_order": "desc"},
    ).json()
    second = httpx.get(first["next_page"], auth=(f"{ADMIN_EMAIL}/token", sandbox.api_token)).json()

    titles = sorted((t["title"] for t in triggers(sandbox).values()), reverse=True)
    assert [t["title"] for t in first["triggers"] + second["triggers"]] == titles[:8]
    assert first["count"] == 9


def test_an_unknown_order_is_one_line_from_zendesk(sandbox: Sandbox, client: ZendeskClient) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        client.call("triggers.list", sort="usage_1h")

    assert str(refused.value) == (
        "400 InvalidValue: sort must be one of alphabetical, created_at, updated_at, position "
        "(GET /api/v2/triggers)"
    )


def test_search_matches_title_words_and_filters_and_pages_by_offset(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    notify = client.call("triggers.search", query="NOTIFY")["triggers"]
    described = client.call("triggers.search", filter={"json": {"description": "routing"}})
    page = send(sandbox, "GET", "/api/v2/triggers/search", query={"query": "notify", "per_page": 3})

    expected = {i for i, t in triggers(sandbox).items() if "notify" in t["title"].lower()}
    assert {t["id"] for t in notify} == expected
    assert len(expected) == 4
    assert [t["title"] for t in described["triggers"]] == ["Notify all agents of received request"]
    assert page.json()["count"] == 4
    assert "query=notify" in page.json()["next_page"]


def test_the_client_reads_every_page_of_a_search_and_a_list(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    grow(sandbox, triggers=230)

    found = client.call("triggers.search", query="rule")["triggers"]
    listed = client.call("triggers.list")["triggers"]

    assert sorted(t["title"] for t in found) == sorted(f"Rule {n}" for n in range(230))
    assert [t["id"] for t in listed] == firing_order(sandbox)
    searched = [e["query"] for e in sandbox.app.request_log() if "/triggers/search" in e["path"]]
    assert [q.get("page", "1") for q in searched] == ["1", "2", "3"]


def test_show_and_an_unknown_or_malformed_id(sandbox: Sandbox, client: ZendeskClient) -> None:
    some = firing_order(sandbox)[3]

    assert client.call("triggers.show", trigger_id=str(some)) == {
        "trigger": triggers(sandbox)[some]
    }
    with pytest.raises(NotFoundError) as missing:
        client.call("triggers.show", trigger_id=1)
    with pytest.raises(InvalidArgumentsError) as malformed:
        client.call("triggers.show", trigger_id="12abc")
    assert str(missing.value) == "404 RecordNotFound: Not found (GET /api/v2/triggers/1)"
    assert str(malformed.value) == "triggers.show: trigger_id must be a number, got '12abc'"


def test_create_places_the_trigger_last_and_records_a_revision(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    category = sandbox.store.triggers.first_category()
    last = max(t["position"] for t in triggers(sandbox).values() if t["category_id"] == category)
    admin = sandbox.store.find_user(email=ADMIN_EMAIL)
    assert admin is not None

    made = client.call("triggers.create", trigger=NEW)["trigger"]

    assert triggers(sandbox)[made["id"]] == made
    assert (made["category_id"], made["position"], made["active"]) == (category, last + 1, True)
    (revision,) = sandbox.store.triggers.revisions[made["id"]]
    assert revision["author_id"] == admin["id"]
    assert revision["snapshot"]["conditions"] == {"all": REFUNDS, "any": []}
    assert made["id"] in [t["id"] for t in client.call("triggers.list")["triggers"]]


@pytest.mark.parametrize(
    ("trigger", "details"),
    [
        (
            {**NEW, "title": " "},
            {"title": [{"description": "Title: cannot be blank", "error": "BlankValue"}]},
        ),
        (
            {**NEW, "actions": []},
            {
                "actions": [
                    {
                        "description": "Actions: at least one action is required",
                        "error": "BlankValue",
                    }
                ]
            },
        ),
        (
            {**NEW, "conditions": {"all": [{"field": "mood", "operator": "is", "value": "x"}]}},
            {
                "conditions": [
                    {
                        "description": "Conditions: 'mood' is not a condition",
                        "error": "InvalidValue",
                    }
                ]
            },
        ),
        (
            {**NEW, "actions": [{"field": "status", "value": "closed-forever"}]},
            {
                "actions": [
                    {
                        "description": "Actions: 'closed-forever' is not a value of status",
                        "error": "InvalidValue",
                    }
                ]
            },
        ),
        (
            {**NEW, "category_id": "999"},
            {"category_id": [{"description": "Category: is not valid", "error": "InvalidValue"}]},
        ),
    ],
)
def test_create_refuses_an_invalid_trigger_with_details(
    sandbox: Sandbox, trigger: dict[str, Any], details: dict[str, Any]
) -> None:
    before = len(triggers(sandbox))

    refused = send(sandbox, "POST", "/api/v2/triggers", {"trigger": trigger})

    assert refused.status_code == 422
    assert refused.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": details,
    }
    assert len(triggers(sandbox)) == before


def test_zendesks_refusal_reaches_the_client_as_one_line(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        client.call("triggers.create", trigger={**NEW, "title": " "})

    assert str(refused.value) == (
        "422 RecordInvalid: Record validation errors title: Title: cannot be blank "
        "(POST /api/v2/triggers)"
    )


def test_update_records_the_change_and_replaces_conditions_and_actions_together(
    sandbox: Sandbox,
) -> None:
    trigger_id = firing_order(sandbox)[4]
    revisions = len(sandbox.store.triggers.revisions[trigger_id])
    old_title = triggers(sandbox)[trigger_id]["title"]

    renamed = send(sandbox, "PUT", f"/api/v2/triggers/{trigger_id}", {"trigger": {"title": "New"}})
    only_conditions = send(
        sandbox,
        "PUT",
        f"/api/v2/triggers/{trigger_id}.json",
        {"trigger": {"conditions": NEW["conditions"]}},
    )

    assert renamed.json()["trigger"]["title"] == "New"
    history = sandbox.store.triggers.revisions[trigger_id]
    assert len(history) == revisions + 1
    assert history[-1]["diff"]["title"] == [
        {"change": "-", "content": old_title},
        {"change": "+", "content": "New"},
    ]
    # Naming the conditions alone clears the actions, so the trigger would do nothing.
    assert only_conditions.status_code == 422
    assert list(only_conditions.json()["details"]) == ["actions"]
    assert triggers(sandbox)[trigger_id]["actions"] == renamed.json()["trigger"]["actions"]
    assert send(sandbox, "PUT", "/api/v2/triggers/7", {"trigger": NEW}).status_code == 404


def test_update_many_moves_and_switches_triggers_or_nothing(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    first, second = firing_order(sandbox)[:2]
    target = sorted(sandbox.store.triggers.categories)[-1]

    changed = client.call(
        "triggers.update_many",
        triggers=[
            {"id": first, "active": False, "title": "ignored"},
            {"id": second, "category_id": target, "position": 50},
        ],
    )["triggers"]
    with pytest.raises(NotFoundError):
        client.call("triggers.update_many", triggers=[{"id": first, "active": True}, {"id": 5}])

    assert [t["id"] for t in changed] == [first, second]
    assert triggers(sandbox)[first]["active"] is False
    assert triggers(sandbox)[first]["title"] != "ignored"
    assert (triggers(sandbox)[second]["category_id"], triggers(sandbox)[second]["position"]) == (
        target,
        50,
    )


def test_bulk_writes_of_more_than_100_are_refused_before_sending(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    with pytest.raises(InvalidArgumentsError) as ids:
        client.call("triggers.destroy_many", ids=list(range(1, 102)))
    with pytest.raises(InvalidArgumentsError) as rows:
        client.call("triggers.update_many", triggers=[{"id": n} for n in range(1, 102)])
    with pytest.raises(InvalidArgumentsError) as unnumbered:
        client.call("triggers.destroy_many", ids="1,two")

    assert str(ids.value) == "triggers.destroy_many: ids holds 101 items; Zendesk takes at most 100"
    assert str(rows.value) == (
        "triggers.update_many: triggers holds 101 items; Zendesk takes at most 100"
    )
    assert str(unnumbered.value) == "triggers.destroy_many: ids must be a number, got 'two'"
    assert [e for e in sandbox.app.request_log() if e["path"].startswith("/api/")] == []
    # The sandbox refuses them too, for clients that do not check.
    many = ",".join(str(n) for n in range(1, 102))
    direct = send(sandbox, "DELETE", "/api/v2/triggers/destroy_many", query={"ids": many})
    assert direct.status_code == 400


def test_delete_and_destroy_many_remove_triggers_or_none(sandbox: Sandbox) -> None:
    one, two, three, *_ = firing_order(sandbox)

    deleted = send(sandbox, "DELETE", f"/api/v2/triggers/{one}")
    partly_unknown = send(
        sandbox, "DELETE", "/api/v2/triggers/destroy_many", query={"ids": f"{two},4"}
    )
    destroyed = send(
        sandbox, "DELETE", "/api/v2/triggers/destroy_many.json", query={"ids": f"{two},{three}"}
    )

    assert (deleted.status_code, partly_unknown.status_code, destroyed.status_code) == (
        204,
        404,
        204,
    )
    assert {one, two, three}.isdisjoint(triggers(sandbox))
    assert len(triggers(sandbox)) == 6
    assert send(sandbox, "GET", f"/api/v2/triggers/{one}").status_code == 404
    assert send(sandbox, "DELETE", f"/api/v2/triggers/{one}").status_code == 404


def test_reorder_needs_one_category_and_every_trigger(sandbox: Sandbox) -> None:
    order = firing_order(sandbox)[::-1]

    several = send(sandbox, "PUT", "/api/v2/triggers/reorder", {"trigger_ids": order})
    one_category(sandbox)
    partial = send(sandbox, "PUT", "/api/v2/triggers/reorder", {"trigger_ids": order[1:]})
    done = send(sandbox, "PUT", "/api/v2/triggers/reorder", {"trigger_ids": order})

    assert several.status_code == 422
    assert several.json()["error"] == "LimitOneCategory"
    assert partial.status_code == 404
    assert done.status_code == 200
    assert firing_order(sandbox) == order


def test_revisions_page_newest_first_and_show_one(sandbox: Sandbox) -> None:
    trigger_id = max(
        sandbox.store.triggers.revisions, key=lambda i: len(sandbox.store.triggers.revisions[i])
    )
    path = f"/api/v2/triggers/{trigger_id}/revisions"
    whole = send(sandbox, "GET", path).json()
    first = send(sandbox, "GET", path, query={"limit": 1}).json()
    older = httpx.get(first["before_url"], auth=(f"{ADMIN_EMAIL}/token", sandbox.api_token))
    newer = httpx.get(older.json()["after_url"], auth=(f"{ADMIN_EMAIL}/token", sandbox.api_token))
    one = send(sandbox, "GET", f"{path}/1").json()["trigger_revision"]

    ids = [r["id"] for r in whole["trigger_revisions"]]
    assert ids == sorted(ids, reverse=True)
    assert (whole["before_cursor"], whole["after_cursor"]) == (None, None)
    assert [r["id"] for r in first["trigger_revisions"]] == ids[:1]
    assert [r["id"] for r in older.json()["trigger_revisions"]] == ids[1:2]
    assert [r["id"] for r in newer.json()["trigger_revisions"]] == ids[:1]
    assert one["snapshot"] == sandbox.store.triggers.revisions[trigger_id][0]["snapshot"]
    assert whole["trigger_revisions"][-1]["diff"]["title"][0]["change"] == "+"
    assert send(sandbox, "GET", f"{path}/99").status_code == 404
    assert send(sandbox, "GET", "/api/v2/triggers/3/revisions").status_code == 404


def test_definitions_name_the_fields_triggers_may_use(sandbox: Sandbox) -> None:
    found = send(sandbox, "GET", "/api/v2/triggers/definitions").json()["definitions"]

    conditions = {c["subject"]: c for c in found["conditions_all"]}
    assert {"status", "update_type", "current_tags", "requester.custom_fields.plan"} <= set(
        conditions
    )
    assert [v["value"] for v in conditions["requester.custom_fields.plan"]["values"]] == [
        "free",
        "pro",
        "enterprise",
    ]
    assert {a["subject"] for a in found["actions"]} >= {"status", "notification_user", "set_tags"}


def test_end_users_may_not_read_triggers_and_agents_may(sandbox: Sandbox) -> None:
    end_user = next(
        u["email"]
        for u in sandbox.store.users.records.values()
        if u["role"] == "end-user" and u["active"] and u["email"]
    )

    assert send(sandbox, "GET", "/api/v2/triggers", email=end_user).status_code == 403
    assert (
        send(sandbox, "POST", "/api/v2/triggers", {"trigger": NEW}, email=end_user).status_code
        == 403
    )
    assert send(sandbox, "GET", "/api/v2/triggers", email=AGENT_EMAIL).status_code == 200


def test_the_cli_deletes_a_trigger_only_with_yes(sandbox: Sandbox) -> None:
    trigger_id = firing_order(sandbox)[0]
    request_line = f"DELETE {sandbox.base_url}/api/v2/triggers/{trigger_id}"

    dry = zdsync_api(sandbox, "triggers.delete", "-a", f"trigger_id={trigger_id}", "--dry-run")
    refused = zdsync_api(sandbox, "triggers.delete", "-a", f"trigger_id={trigger_id}")
    nothing_sent = sandbox.app.request_log()
    confirmed = zdsync_api(sandbox, "triggers.delete", "-a", f"trigger_id={trigger_id}", "--yes")
    again = zdsync_api(sandbox, "triggers.delete", "-a", f"trigger_id={trigger_id}", "--yes")

    assert (dry.exit_code, dry.stdout.splitlines()[0]) == (0, request_line)
    assert refused.exit_code == 2
    assert request_line in refused.stderr.splitlines()
    assert refused.stderr.splitlines()[-1] == "zdsync: error: add --yes to run it"
    assert nothing_sent == []
    assert confirmed.exit_code == 0, confirmed.stderr
    assert trigger_id not in triggers(sandbox)
    assert again.exit_code == 1
    assert again.stderr.strip().splitlines() == [
        f"zdsync: error: 404 RecordNotFound: Not found (DELETE /api/v2/triggers/{trigger_id})"
    ]
