"""The sandbox's configuration lists: shaped as Zendesk's OpenAPI file says, and consistent with
the tickets, users and organizations they describe."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from tests.sandbox.oas import response_schema, validate
from zdsync import catalog
from zdsync.catalog import account_config
from zdsync.client import CursorList, ZendeskClient
from zdsync.client.errors import NotFoundError
from zdsync.sandbox import Sandbox

PAGED = [op for op in account_config.OPERATIONS if op.in_support_oas]


def every_row(client: ZendeskClient, name: str) -> list[dict[str, Any]]:
    op = catalog.operation(name)
    if op.paging is catalog.Paging.NONE:
        return list(client.get_json(op.path)[str(op.response_key)])
    pages = client.paginate(CursorList(op.path, str(op.response_key), page_size=7))
    return [row for page in pages for row in page.items]


@pytest.mark.parametrize("op", PAGED, ids=lambda op: op.name)
def test_every_answer_fits_the_spec(shared_client: ZendeskClient, op: catalog.Operation) -> None:
    asked = [{}] if op.paging is catalog.Paging.NONE else [{}, {"page[size]": 2}, {"per_page": 2}]
    for params in asked:
        body = shared_client.get_json(op.path, params=params)
        validate(response_schema(op.path), body)
        assert body[str(op.response_key)], f"{op.name} {params} is empty"


# Zendesk's OpenAPI file leaves business hours out; these are the shapes its API reference
# gives, checked as strictly as the file's schemas are.
INTERVAL = {
    "type": "object",
    "required": ["start_time", "end_time"],
    "properties": {"start_time": {"type": "integer"}, "end_time": {"type": "integer"}},
}
SCHEDULE = {
    "type": "object",
    "required": ["id", "name", "time_zone", "intervals", "created_at", "updated_at"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "time_zone": {"type": "string"},
        "intervals": {"type": "array", "items": INTERVAL},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
HOLIDAY = {
    "type": "object",
    "required": ["id", "name", "start_date", "end_date"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "start_date": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d$"},
        "end_date": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d$"},
    },
}


def test_business_hours_answer_in_the_reference_shape(shared_client: ZendeskClient) -> None:
    schedules = shared_client.get_json("/api/v2/business_hours/schedules")
    Draft202012Validator(
        {
            "type": "object",
            "required": ["schedules"],
            "properties": {"schedules": {"type": "array", "items": SCHEDULE}},
        }
    ).validate(schedules)
    for schedule in schedules["schedules"]:
        path = f"/api/v2/business_hours/schedules/{schedule['id']}/holidays"
        holidays = shared_client.get_json(path)
        Draft202012Validator(
            {"type": "object", "properties": {"holidays": {"type": "array", "items": HOLIDAY}}}
        ).validate(holidays)
        assert all(h["start_date"] <= h["end_date"] for h in holidays["holidays"])
        week = 7 * 24 * 60
        assert all(0 <= i["start_time"] < i["end_time"] <= week for i in schedule["intervals"])


def test_a_missing_schedule_has_no_holidays(shared_client: ZendeskClient) -> None:
    with pytest.raises(NotFoundError):
        shared_client.get_json("/api/v2/business_hours/schedules/1/holidays")


def test_tickets_refer_to_configuration_that_exists(
    shared_sandbox: Sandbox, shared_client: ZendeskClient
) -> None:
    ids = {
        name: {row["id"] for row in every_row(shared_client, f"{name}.list")}
        for name in ("groups", "brands", "ticket_forms", "custom_statuses")
    }
    tickets = shared_sandbox.store.tickets.records.values()
    for column, name in [
        ("group_id", "groups"),
        ("brand_id", "brands"),
        ("ticket_form_id", "ticket_forms"),
        ("custom_status_id", "custom_statuses"),
    ]:
        used = {t[column] for t in tickets if t[column] is not None}
        assert used, column
        assert used <= ids[name], column


def test_memberships_refer_to_real_users_groups_and_organizations(
    shared_sandbox: Sandbox, shared_client: ZendeskClient
) -> None:
    store = shared_sandbox.store
    users = store.users.records
    groups = {row["id"] for row in every_row(shared_client, "groups.list") if not row["deleted"]}
    agents = {u["id"] for u in users.values() if u["role"] != "end-user" and u["active"]}
    in_groups = every_row(shared_client, "group_memberships.list")
    assert {m["user_id"] for m in in_groups} == agents
    assert {m["group_id"] for m in in_groups} <= groups
    # Every agent has exactly one default group.
    assert Counter(m["user_id"] for m in in_groups if m["default"]) == dict.fromkeys(agents, 1)
    in_orgs = every_row(shared_client, "organization_memberships.list")
    live_orgs = {i for i, o in store.organizations.records.items() if o["deleted_at"] is None}
    assert {m["organization_id"] for m in in_orgs} <= live_orgs
    members = {u["id"] for u in users.values() if u["active"] and u["organization_id"] in live_orgs}
    assert {m["user_id"] for m in in_orgs if m["default"]} == members
    assert all(users[m["user_id"]]["active"] for m in in_orgs)


def test_tags_count_the_records_that_carry_them(
    shared_sandbox: Sandbox, shared_client: ZendeskClient
) -> None:
    store = shared_sandbox.store
    counted: Counter[str] = Counter()
    for ticket in store.tickets.records.values():
        if ticket["status"] != "deleted":
            counted.update(ticket["tags"])
    for user in store.users.records.values():
        if user["active"]:
            counted.update(user["tags"])
    for org in store.organizations.records.values():
        counted.update(org["tags"])
    tags = every_row(shared_client, "tags.list")
    assert {t["name"]: t["count"] for t in tags} == dict(counted)
    assert [t["count"] for t in tags] == sorted((t["count"] for t in tags), reverse=True)


def test_sla_policies_have_metrics_and_schedules_span_time_zones(
    shared_client: ZendeskClient,
) -> None:
    policies = every_row(shared_client, "sla_policies.list")
    assert all(p["policy_metrics"] for p in policies)
    assert {m["priority"] for p in policies for m in p["policy_metrics"]} == {
        "low",
        "normal",
        "high",
        "urgent",
    }
    zones = {s["time_zone"] for s in every_row(shared_client, "schedules.list")}
    assert {"Tokyo", "Copenhagen", "Eastern Time (US & Canada)"} <= zones


def test_the_control_surface_changes_and_deletes_configuration(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    url = sandbox.base_url
    macro = min(sandbox.store.account.lists["macros"])
    schedule = min(sandbox.store.account.holidays)
    holiday = sandbox.store.account.holidays[schedule][0]["id"]
    sandbox.store.advance_clock(3600)
    for operation, args in [
        ("delete_config", {"kind": "macros", "record_id": macro}),
        ("update_config", {"kind": "groups", "record_id": 360_000_101, "name": "Finance"}),
        ("create_config", {"kind": "brands", "name": "Outlet", "subdomain": "outlet"}),
        ("delete_holiday", {"schedule_id": schedule, "holiday_id": holiday}),
    ]:
        httpx.post(f"{url}/_sandbox/{operation}", json=args).raise_for_status()
    assert macro not in {m["id"] for m in every_row(client, "macros.list")}
    group = next(g for g in every_row(client, "groups.list") if g["id"] == 360_000_101)
    assert group["name"] == "Finance"
    assert group["updated_at"] > group["created_at"]
    brand = every_row(client, "brands.list")[-1]
    assert (brand["name"], brand["subdomain"]) == ("Outlet", "outlet")
    assert brand["url"].endswith(f"/brands/{brand['id']}.json")
    path = f"/api/v2/business_hours/schedules/{schedule}/holidays"
    assert holiday not in {h["id"] for h in client.get_json(path)["holidays"]}
    state = httpx.get(f"{url}/_sandbox/state").json()
    assert macro not in {m["id"] for m in state["macros"]}
    bad = httpx.post(f"{url}/_sandbox/delete_config", json={"kind": "macros", "record_id": macro})
    assert bad.status_code == 400
