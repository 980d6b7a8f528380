"""Trigger categories over HTTP and through the client: the list's paging, writes, the refusals
in the ``errors`` shape this API uses, and the batch job."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.sandbox.writing import send
from zdsync.client import ZendeskClient
from zdsync.client.errors import InvalidArgumentsError, InvalidRequestError, NotFoundError
from zdsync.sandbox.config import SandboxConfig
from zdsync.sandbox.server import Sandbox

SMALL = SandboxConfig(rate_limits="off", users=40, tickets=10, organizations=5)
pytestmark = pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
NOT_FOUND = {
    "errors": [
        {
            "code": "TriggerCategoryNotFound",
            "title": "Category can\u2019t be found. Check the ID and try again.",
        }
    ]
}


def test_the_list_pages_by_cursor_to_its_end(sandbox: Sandbox, client: ZendeskClient) -> None:
    categories = sandbox.store.triggers.categories
    seen, query, path, requests = (
        [],
        {"page[size]": "2", "sort": "-name"},
        "/api/v2/trigger_categories",
        0,
    )
    while True:
        body = send(sandbox, "GET", path, query=query).json()
        requests += 1
        seen += [c["id"] for c in body["trigger_categories"]]
        if not body["meta"]["has_more"]:
            break
        link = urlsplit(body["links"]["next"])
        path, query = link.path, dict(parse_qsl(link.query))

    by_name = sorted(categories.values(), key=lambda c: c["name"], reverse=True)
    assert seen == [c["id"] for c in by_name]
    assert requests == 2
    assert [c["id"] for c in client.call("trigger_categories.list")["trigger_categories"]] == [
        c["id"] for c in sorted(categories.values(), key=lambda c: c["position"])
    ]


def test_the_list_counts_rules_and_pages_by_offset(sandbox: Sandbox) -> None:
    body = send(
        sandbox,
        "GET",
        "/api/v2/trigger_categories",
        query={"include": "rule_counts", "per_page": 2},
    ).json()

    first = body["trigger_categories"][0]
    members = [
        t for t in sandbox.store.triggers.triggers.values() if t["category_id"] == first["id"]
    ]
    assert first["active_count"] == sum(t["active"] for t in members)
    assert first["inactive_count"] == len(members) - first["active_count"]
    assert body["count"] == 3
    assert body["next_page"] is not None


def test_create_show_update_and_refusals(sandbox: Sandbox, client: ZendeskClient) -> None:
    made = client.call("trigger_categories.create", trigger_category={"name": "Escalations"})
    category = made["trigger_category"]
    shown = client.call("trigger_categories.show", trigger_category_id=category["id"])
    renamed = client.call(
        "trigger_categories.update",
        trigger_category_id=category["id"],
        trigger_category={"name": "Escalations and SLAs", "position": 9},
    )
    blank = send(sandbox, "POST", "/api/v2/trigger_categories", {"trigger_category": {"name": " "}})
    unknown = send(sandbox, "GET", "/api/v2/trigger_categories/424242")

    assert shown == made
    assert category["position"] == 3
    assert sandbox.store.triggers.categories[category["id"]] == renamed["trigger_category"]
    assert renamed["trigger_category"]["position"] == 9
    assert blank.status_code == 400
    assert blank.json() == {
        "errors": [{"code": "InvalidTriggerCategory", "title": "Name cannot be blank"}]
    }
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
    with pytest.raises(NotFoundError) as missing:
        client.call("trigger_categories.show", trigger_category_id="424242")
    assert str(missing.value) == (
        "404 TriggerCategoryNotFound: Category can\u2019t be found. Check the ID and try again. "
        "(GET /api/v2/trigger_categories/424242)"
    )


def test_delete_is_refused_while_a_trigger_in_it_is_active(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    book = sandbox.store.triggers
    busy = book.first_category()
    assert busy is not None
    empty = client.call("trigger_categories.create", trigger_category={"name": "Empty"})

    with pytest.raises(InvalidRequestError) as refused:
        client.call("trigger_categories.delete", trigger_category_id=busy)
    client.call("trigger_categories.delete", trigger_category_id=empty["trigger_category"]["id"])

    assert str(refused.value).startswith("400 TriggerCategoryNotEmpty: A category with active")
    assert busy in book.categories
    assert empty["trigger_category"]["id"] not in book.categories
    again = send(sandbox, "DELETE", f"/api/v2/trigger_categories/{empty['trigger_category']['id']}")
    assert (again.status_code, again.json()) == (404, NOT_FOUND)


def test_the_batch_job_moves_categories_and_triggers_or_nothing(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    book = sandbox.store.triggers
    first, second, third = sorted(book.categories)
    trigger_id = next(t["id"] for t in book.triggers.values() if t["category_id"] == first)
    job = {
        "action": "patch",
        "items": {
            "trigger_categories": [{"id": third, "position": 0}, {"id": first, "position": 2}],
            "triggers": [{"id": str(trigger_id), "category_id": second, "position": 7}],
        },
    }

    done = client.call("trigger_categories.jobs", job=job)
    failed = send(
        sandbox,
        "POST",
        "/api/v2/trigger_categories/jobs",
        {
            "job": {
                "action": "patch",
                "items": {
                    "trigger_categories": [{"id": second, "position": 5}],
                    "triggers": [{"id": str(trigger_id), "category_id": "999"}],
                },
            }
        },
    )

    assert [c["id"] for c in done["results"]["trigger_categories"]] == [third, first]
    assert (book.categories[third]["position"], book.categories[first]["position"]) == (0, 2)
    assert (book.triggers[trigger_id]["category_id"], book.triggers[trigger_id]["position"]) == (
        second,
        7,
    )
    assert failed.status_code == 400
    assert failed.json() == {
        "errors": [
            {
                "code": "InvalidTrigger",
                "title": "category_id is not valid",
                "trigger_id": str(trigger_id),
            }
        ],
        "status": "failed",
    }
    assert book.categories[second]["position"] == 1  # the failed job changed nothing


def test_a_category_without_a_name_is_refused_before_sending(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    with pytest.raises(InvalidArgumentsError) as missing:
        client.call("trigger_categories.create", trigger_category={"position": 1})

    assert str(missing.value) == (
        "trigger_categories.create: trigger_category is missing required field 'name'"
    )
    assert [e for e in sandbox.app.request_log() if e["path"].startswith("/api/")] == []
