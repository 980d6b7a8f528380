"""User fields and their options over HTTP and through the client: reads by id or key, writes
with Zendesk's refusals, and what the users holding the values see afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.writing import send
from zdsync.client import ZendeskClient
from zdsync.client.errors import InvalidArgumentsError, InvalidRequestError, NotFoundError
from zdsync.sandbox.config import AGENT_EMAIL, SandboxConfig
from zdsync.sandbox.server import Sandbox

SMALL = SandboxConfig(rate_limits="off", users=120, tickets=10, organizations=5)
pytestmark = pytest.mark.parametrize("sandbox", [SMALL], indirect=True)


def field(sandbox: Sandbox, key: str) -> dict[str, Any]:
    return next(f for f in sandbox.store.user_fields if f["key"] == key)


def holding(sandbox: Sandbox, key: str, value: Any) -> set[int]:
    return {
        u["id"]
        for u in sandbox.store.users.records.values()
        if (u["user_fields"] or {}).get(key) == value
    }


def test_a_field_is_shown_by_id_or_key(sandbox: Sandbox, client: ZendeskClient) -> None:
    plan = field(sandbox, "plan")

    assert client.call("user_fields.show", user_field_id=plan["id"]) == {"user_field": plan}
    assert client.call("user_fields.show", user_field_id="plan") == {"user_field": plan}
    with pytest.raises(NotFoundError) as missing:
        client.call("user_fields.show", user_field_id="no_such_key")
    assert str(missing.value) == (
        "404 RecordNotFound: Not found (GET /api/v2/user_fields/no_such_key)"
    )


def test_create_adds_the_key_to_every_user_unset(sandbox: Sandbox, client: ZendeskClient) -> None:
    made = client.call(
        "user_fields.create",
        user_field={
            "key": "tier",
            "type": "dropdown",
            "title": "Tier",
            "custom_field_options": [
                {"name": "Gold", "value": "gold"},
                {"name": "Silver", "value": "silver"},
            ],
        },
    )["user_field"]

    assert made == field(sandbox, "tier")
    assert made["position"] == len(sandbox.store.user_fields) - 1
    options = made["custom_field_options"]
    assert [(o["value"], o["position"]) for o in options] == [("gold", 0), ("silver", 1)]
    assert len({o["id"] for o in options}) == 2
    assert holding(sandbox, "tier", None) == set(sandbox.store.users.records)
    listed = client.call("user_fields.list")["user_fields"]
    assert listed[-1]["key"] == "tier"


@pytest.mark.parametrize(
    ("user_field", "key", "problem"),
    [
        (
            {"key": "plan", "title": "Again"},
            "key",
            ("Key: has already been taken", "DuplicateValue"),
        ),
        ({"key": "12", "title": "Digits"}, "key", ("Key: is invalid", "InvalidValue")),
        ({"key": "has space", "title": "X"}, "key", ("Key: is invalid", "InvalidValue")),
        (
            {"key": "k", "title": "X", "type": "colour"},
            "type",
            ("Type: is not included in the list", "InvalidValue"),
        ),
        ({"key": "k", "title": " "}, "title", ("Title: cannot be blank", "BlankValue")),
        (
            {"key": "k", "title": "X", "position": "first"},
            "position",
            ("Position: must be an integer", "InvalidValue"),
        ),
        (
            {"key": "k", "title": "Menu", "type": "dropdown"},
            "custom_field_options",
            ("Custom field options: cannot be blank", "BlankValue"),
        ),
    ],
)
def test_create_refuses_an_invalid_field_with_details(
    sandbox: Sandbox, user_field: dict[str, Any], key: str, problem: tuple[str, str]
) -> None:
    before = len(sandbox.store.user_fields)

    refused = send(sandbox, "POST", "/api/v2/user_fields", {"user_field": user_field})

    assert refused.status_code == 422
    assert refused.json()["details"] == {key: [{"description": problem[0], "error": problem[1]}]}
    assert len(sandbox.store.user_fields) == before


def test_zendesks_refusal_and_a_missing_argument_are_one_line(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        client.call("user_fields.create", user_field={"key": "plan", "title": "Plan"})
    with pytest.raises(InvalidArgumentsError) as missing:
        client.call("user_fields.update", user_field_id="plan")

    assert str(refused.value) == (
        "422 RecordInvalid: Record validation errors key: Key: has already been taken "
        "(POST /api/v2/user_fields)"
    )
    assert str(missing.value) == "user_fields.update: missing required argument 'user_field'"


def test_updating_the_options_replaces_them_and_the_users_values(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    free, pro, enterprise = field(sandbox, "plan")["custom_field_options"]
    on_pro, on_enterprise = holding(sandbox, "plan", "pro"), holding(sandbox, "plan", "enterprise")
    assert on_pro
    assert on_enterprise

    changed = client.call(
        "user_fields.update",
        user_field_id="plan",
        user_field={
            "title": "Plan tier",
            "custom_field_options": [
                {"id": enterprise["id"], "name": "Enterprise", "value": "business"},
                {"id": free["id"], "name": "Free", "value": "free"},
                {"id": None, "name": "Team", "value": "team"},
            ],
        },
    )["user_field"]

    assert changed["title"] == "Plan tier"
    options = changed["custom_field_options"]
    assert [o["value"] for o in options] == ["business", "free", "team"]
    assert [o["id"] for o in options[:2]] == [enterprise["id"], free["id"]]
    assert options[2]["id"] not in {free["id"], pro["id"], enterprise["id"]}
    # Pro was left out: its users hold nothing; Enterprise was renamed: its users follow.
    assert holding(sandbox, "plan", "pro") == set()
    assert on_pro <= holding(sandbox, "plan", None)
    assert holding(sandbox, "plan", "business") == on_enterprise
    duplicated = send(
        sandbox,
        "PUT",
        "/api/v2/user_fields/plan",
        {
            "user_field": {
                "custom_field_options": [{"name": "A", "value": "a"}, {"name": "B", "value": "a"}]
            }
        },
    )
    assert duplicated.status_code == 422


def test_delete_removes_the_field_and_the_users_values(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    notes = field(sandbox, "crm_notes")
    users_updated = {u["id"]: u["updated_at"] for u in sandbox.store.users.records.values()}

    client.call("user_fields.delete", user_field_id=notes["id"])

    assert "crm_notes" not in {f["key"] for f in sandbox.store.user_fields}
    assert all(
        "crm_notes" not in (u["user_fields"] or {}) for u in sandbox.store.users.records.values()
    )
    # Removing a definition is no edit of the users: their updated_at stays.
    assert {u["id"]: u["updated_at"] for u in sandbox.store.users.records.values()} == users_updated
    assert send(sandbox, "DELETE", "/api/v2/user_fields/crm_notes").status_code == 404


def test_reorder_sets_the_order_the_list_follows(sandbox: Sandbox, client: ZendeskClient) -> None:
    ids = [f["id"] for f in client.call("user_fields.list")["user_fields"]]

    reply = send(sandbox, "PUT", "/api/v2/user_fields/reorder", {"user_field_ids": ids[::-1]})
    unknown = send(sandbox, "PUT", "/api/v2/user_fields/reorder", {"user_field_ids": [1, *ids]})

    assert (reply.status_code, reply.content) == (200, b"")
    assert [f["id"] for f in client.call("user_fields.list")["user_fields"]] == ids[::-1]
    assert unknown.status_code == 404


def test_options_list_by_cursor_and_offset(sandbox: Sandbox, client: ZendeskClient) -> None:
    plan = field(sandbox, "plan")
    path = f"/api/v2/user_fields/{plan['id']}/options"

    read = client.call("user_field_options.list", user_field_id="plan")
    first = send(sandbox, "GET", path, query={"page[size]": 2}).json()
    by_offset = send(sandbox, "GET", path, query={"per_page": 2, "page": 2}).json()

    assert read["custom_field_options"] == plan["custom_field_options"]
    assert [o["value"] for o in first["custom_field_options"]] == ["free", "pro"]
    assert first["meta"]["has_more"] is True
    assert [o["value"] for o in by_offset["custom_field_options"]] == ["enterprise"]
    assert by_offset["count"] == 3
    assert send(sandbox, "GET", "/api/v2/user_fields/nope/options").status_code == 404
    text_field = field(sandbox, "crm_notes")
    empty = send(sandbox, "GET", f"/api/v2/user_fields/{text_field['id']}/options").json()
    assert empty["custom_field_options"] == []


def test_an_option_is_created_updated_shown_and_deleted(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    plan = field(sandbox, "plan")
    path = f"/api/v2/user_fields/{plan['id']}/options"
    pro = plan["custom_field_options"][1]
    on_pro = holding(sandbox, "plan", "pro")

    created = send(
        sandbox, "POST", path, {"custom_field_option": {"name": "Trial", "value": "trial"}}
    )
    updated = send(
        sandbox, "POST", path, {"custom_field_option": {"id": pro["id"], "name": "Professional"}}
    )
    taken = send(sandbox, "POST", path, {"custom_field_option": {"name": "Again", "value": "free"}})
    shown = client.call(
        "user_field_options.show", user_field_id="plan", user_field_option_id=pro["id"]
    )
    client.call("user_field_options.delete", user_field_id="plan", user_field_option_id=pro["id"])

    assert created.status_code == 201
    assert created.headers["location"].endswith(f"/api/v2/user_fields/{plan['id']}/options.json")
    trial = created.json()["custom_field_option"]
    assert (trial["value"], trial["position"]) == ("trial", 3)
    assert updated.status_code == 200
    assert updated.json()["custom_field_option"] == {
        **pro,
        "name": "Professional",
        "raw_name": "Professional",
    }
    assert shown["custom_field_option"]["name"] == "Professional"
    assert taken.status_code == 422
    assert [o["value"] for o in field(sandbox, "plan")["custom_field_options"]] == [
        "free",
        "enterprise",
        "trial",
    ]
    assert holding(sandbox, "plan", "pro") == set()
    assert on_pro <= holding(sandbox, "plan", None)
    gone = send(sandbox, "GET", f"{path}/{pro['id']}")
    assert gone.status_code == 404
    with pytest.raises(InvalidArgumentsError) as malformed:
        client.call("user_field_options.show", user_field_id="plan", user_field_option_id="x1")
    assert str(malformed.value) == (
        "user_field_options.show: user_field_option_id must be a number, got 'x1'"
    )


def test_options_belong_to_drop_down_fields(sandbox: Sandbox) -> None:
    notes = field(sandbox, "crm_notes")

    refused = send(
        sandbox,
        "POST",
        f"/api/v2/user_fields/{notes['id']}/options",
        {"custom_field_option": {"name": "A", "value": "a"}},
    )

    assert refused.status_code == 422
    assert list(refused.json()["details"]) == ["type"]


def test_agents_read_fields_and_only_admins_write_them(sandbox: Sandbox) -> None:
    body = {"user_field": {"key": "by_agent", "title": "By agent"}}

    assert send(sandbox, "GET", "/api/v2/user_fields/plan", email=AGENT_EMAIL).status_code == 200
    assert send(sandbox, "POST", "/api/v2/user_fields", body, email=AGENT_EMAIL).status_code == 403
    assert send(sandbox, "DELETE", "/api/v2/user_fields/plan", email=AGENT_EMAIL).status_code == 403
    assert "by_agent" not in {f["key"] for f in sandbox.store.user_fields}
