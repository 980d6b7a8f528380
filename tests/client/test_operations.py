"""``ZendeskClient.call``: arguments refused before sending, and operations run against the
sandbox, every page read, checked against the sandbox's own records and request log."""

from __future__ import annotations

from typing import Any

import pytest

from tests.client import rule_examples
from tests.client import test_members_calls as members_calls
from tests.client import test_rating_calls as rating_calls
from tests.client import test_user_identity_zis_calls as users_identities_zis
from tests.sandbox.oas import validate_response
from zdsync import catalog
from zdsync.catalog import account_config
from zdsync.client import ZendeskClient
from zdsync.client.errors import InvalidArgumentsError
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.routes import ROUTES


def api_requests(sandbox: Sandbox) -> list[tuple[str, dict[str, str]]]:
    return [(e.path, e.query) for e in sandbox.app.log if e.path.startswith("/api/")]


@pytest.mark.parametrize(
    ("operation", "arguments", "message"),
    [
        ("users.create", {}, "users.create: missing required argument 'user'"),
        ("users.show", {"user_id": "12abc"}, "users.show: user_id must be a number, got '12abc'"),
        ("users.show", {"user_id": True}, "users.show: user_id must be a number, got True"),
        (
            "users.create_or_update_many",
            {"users": [{"email": f"u{n}@example.org"} for n in range(101)]},
            "users.create_or_update_many: users holds 101 items; Zendesk takes at most 100",
        ),
        (
            "users.show_many",
            {"ids": ",".join(str(n) for n in range(1, 102))},
            "users.show_many: ids holds 101 items; Zendesk takes at most 100",
        ),
        (
            "users.create_many",
            {"users": [{"name": "Ada"}, {"email": "b@example.org"}]},
            "users.create_many: users[1] is missing required field 'name'",
        ),
        (
            "triggers.create",
            {"trigger": '{"title": "t", "actions": []}'},
            "triggers.create: trigger is missing required field 'conditions'",
        ),
        ("users.show_many", {}, "users.show_many: give one of ids, external_ids"),
        (
            "users.update",
            {"user_id": 1, "user": "{not json"},
            "users.update: user is not valid JSON",
        ),
        (
            "users.show",
            {"user_id": 1, "include": "x"},
            "users.show: unknown argument 'include' (takes user_id)",
        ),
        ("users.shwo", {}, "no Zendesk operation named 'users.shwo'"),
        (
            "triggers.list",
            {"active": "yes"},
            "triggers.list: active must be true or false, got 'yes'",
        ),
    ],
)
def test_bad_arguments_fail_in_one_line_before_any_request(
    sandbox: Sandbox,
    client: ZendeskClient,
    operation: str,
    arguments: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(InvalidArgumentsError) as raised:
        client.call(operation, **arguments)
    assert str(raised.value) == message
    assert api_requests(sandbox) == []


def test_records_refuses_a_single_record_operation(sandbox: Sandbox, client: ZendeskClient) -> None:
    with pytest.raises(InvalidArgumentsError, match=r"^users.show: not a list operation"):
        client.records("users.show", user_id=1)
    assert api_requests(sandbox) == []


def test_a_single_record_comes_back_as_zendesk_sends_it(
    shared_sandbox: Sandbox, shared_client: ZendeskClient
) -> None:
    user_id = max(shared_sandbox.store.users.records)
    # As a command line hands it over: the id as text.
    body = shared_client.call("users.show", user_id=str(user_id))
    assert body == {"user": shared_sandbox.store.users.records[user_id]}
    org_id = min(shared_sandbox.store.organizations.records)
    assert (
        shared_client.call("organizations.show", organization_id=org_id)["organization"]["id"]
        == org_id
    )


def test_a_cursor_list_is_read_to_its_end(sandbox: Sandbox, client: ZendeskClient) -> None:
    active = sorted(u["id"] for u in sandbox.store.users.records.values() if u["active"])
    assert len(active) > 200  # three pages or more
    users = client.call("users.list")["users"]
    assert [user["id"] for user in users] == active
    pages = api_requests(sandbox)
    assert len(pages) == -(-len(active) // 100)
    assert all(path == "/api/v2/users" and query["page[size]"] == "100" for path, query in pages)


def test_repeated_list_filters_are_sent_repeated(sandbox: Sandbox, client: ZendeskClient) -> None:
    staff = client.call("users.list", role_list=["admin", "agent"])["users"]
    expected = sorted(
        u["id"]
        for u in sandbox.store.users.records.values()
        if u["active"] and u["role"] in ("admin", "agent")
    )
    assert sorted(user["id"] for user in staff) == expected
    assert expected


def test_an_export_is_read_to_the_end_of_its_stream(
    shared_sandbox: Sandbox, shared_client: ZendeskClient
) -> None:
    users = shared_client.call("incremental.users_cursor", start_time=0, per_page=100)["users"]
    assert sorted(user["id"] for user in users) == sorted(shared_sandbox.store.users.records)
    organizations = shared_client.call("incremental.organizations", start_time=0)
    assert {org["id"] for org in organizations["organizations"]} == set(
        shared_sandbox.store.organizations.records
    )


def test_records_streams_page_by_page(sandbox: Sandbox, client: ZendeskClient) -> None:
    stream = client.records("tickets.list")
    first = [next(stream) for _ in range(5)]
    assert len(api_requests(sandbox)) == 1
    rest = list(stream)
    live = sorted(
        t["id"] for t in sandbox.store.tickets.records.values() if t["status"] != "deleted"
    )
    assert [t["id"] for t in first + rest] == live


def test_show_many_sends_ids_comma_separated(
    shared_sandbox: Sandbox, shared_client: ZendeskClient
) -> None:
    wanted = sorted(shared_sandbox.store.users.records)[:3]
    users = shared_client.call("users.show_many", ids=wanted)["users"]
    assert [user["id"] for user in users] == wanted


@pytest.mark.parametrize("sandbox", [SandboxConfig(rate_limits="off", users=30)], indirect=True)
def test_a_bulk_upsert_queues_a_job_that_can_be_followed(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    sandbox.app.config.job_latency_seconds = 0.0
    queued = client.call(
        "users.create_or_update_many",
        users=[{"name": "Ada", "email": "ada@example.org", "external_id": "crm-ada"}],
    )
    job_id = queued["job_status"]["id"]
    done = client.call("job_statuses.show_many", ids=[job_id])["job_statuses"]
    assert [job["id"] for job in done] == [job_id]
    assert done[0]["status"] == "completed"
    created = sandbox.store.find_user(external_id="crm-ada")
    assert created is not None
    assert created["email"] == "ada@example.org"
    assert ("/api/v2/users/create_or_update_many", {}) in api_requests(sandbox)


# Operations that answer 201 Created; every other answers 200, or 204 when it has no body.
CREATED = {"users.create_or_update", "tickets.create", "users.create", "organizations.create"}


def _examples(sandbox: Sandbox, job_id: str) -> dict[str, dict[str, Any]]:
    """Arguments for one call of every operation the sandbox serves, from its own records."""
    store = sandbox.store
    user = next(u for _, u in sorted(store.users.records.items()) if u["active"] and u["email"])
    organization = next(
        o for _, o in sorted(store.organizations.records.items()) if not o.get("deleted_at")
    )
    updated, deleted, target, source = [
        t["id"]
        for _, t in sorted(store.tickets.records.items())
        if t["status"] not in ("closed", "deleted")
    ][:4]
    comment = {"body": "From the catalog"}
    org_changed, org_deleted = [
        o["id"] for _, o in sorted(store.organizations.records.items()) if not o["deleted_at"]
    ][1:3]
    changed, removed, destroyed, merged, kept = [
        u["id"]
        for _, u in sorted(store.users.records.items())
        if u["active"] and u["role"] == "end-user"
    ][:5]
    return {
        "incremental.tickets_cursor": {"start_time": 0},
        "incremental.users_cursor": {"start_time": "0"},
        "incremental.tickets": {"start_time": 0, "exclude_deleted": True},
        "incremental.users": {"start_time": 0},
        "incremental.organizations": {"start_time": 0},
        "incremental.ticket_events": {"start_time": 0, "include": "comment_events"},
        "incremental.ticket_metric_events": {"start_time": 0},
        "users.me": {},
        "users.search": {"query": f'email:"{user["email"]}"'},
        "users.show_many": {"ids": f"{user['id']}"},
        "users.show": {"user_id": user["id"]},
        "organizations.show": {"organization_id": min(store.organizations.records)},
        "users.create_or_update_many": {"users": '[{"name": "Bo", "email": "bo@example.org"}]'},
        "users.create_or_update": {"user": {"name": "Cy", "email": "cy@example.org"}},
        "job_statuses.show_many": {"ids": [job_id]},
        "job_statuses.show": {"job_status_id": job_id},
        "tickets.show": {"ticket_id": min(store.tickets.records)},
        "users.list": {"role": "admin"},
        "tickets.list": {},
        "organizations.list": {},
        "deleted_users.list": {},
        "users.compliance_deletion_statuses": {"user_id": next(iter(store.compliance))},
        "user_fields.list": {},
        "ticket_fields.list": {},
        "search.list": {"query": "type:ticket status<solved"},
        "search.count": {"query": "type:user"},
        "search.export": {"query": "status:open", "filter_type": "ticket"},
        "users.autocomplete": {"name": user["name"][:3]},
        "organizations.search": {"name": organization["name"]},
        "organizations.autocomplete": {"name": organization["name"][:3]},
        "tickets.create": {"ticket": {"subject": "New", "comment": comment}},
        "tickets.create_many": {"tickets": [{"subject": "Many", "comment": comment}]},
        "tickets.update": {"ticket_id": updated, "ticket": {"priority": "high"}},
        "tickets.update_many": {"ids": [updated], "ticket": {"status": "pending"}},
        "tickets.delete": {"ticket_id": deleted},
        "tickets.merge": {"ticket_id": target, "ids": [source], "target_comment": "Merged"},
        "users.create": {"user": {"name": "Di", "email": "di@example.org"}},
        "users.create_many": {"users": [{"name": "Ed", "email": "ed@example.org"}]},
        "users.update": {"user_id": changed, "user": {"name": "Changed"}},
        "users.update_many": {"users": [{"id": changed, "notes": "bulk"}]},
        "users.delete": {"user_id": removed},
        "users.destroy_many": {"ids": [destroyed]},
        "users.merge": {"user_id": merged, "user": {"id": kept}},
        "organizations.create": {"organization": {"name": "Catalog Org"}},
        "organizations.create_many": {"organizations": [{"name": "Catalog Orgs"}]},
        "organizations.update": {"organization_id": org_changed, "organization": {"notes": "n"}},
        "organizations.delete": {"organization_id": org_deleted},
        **rule_examples.examples(sandbox),
        "organizations.show_many": {"ids": [org_changed]},
        "organizations.update_many": {"organizations": [{"id": org_changed, "notes": "bulk"}]},
        "tickets.show_many": {"ids": [updated]},
        **{op.name: {} for op in account_config.OPERATIONS if not op.path_params},
        "schedule_holidays.list": {"schedule_id": min(store.account.holidays)},
    }


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(rate_limits="off", users=60, tickets=300)], indirect=True
)
def test_every_operation_the_sandbox_serves_answers_a_call_in_the_files_shape(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    sandbox.app.config.job_latency_seconds = 0.0
    job = client.call("users.create_or_update_many", users=[{"name": "Al", "email": "al@x.org"}])
    examples = _examples(sandbox, job["job_status"]["id"])
    # Users' other operations, identities, passwords, ZIS and ratings have a test module of
    # their own.
    elsewhere = {
        *users_identities_zis.OPERATIONS,
        *members_calls.OPERATIONS,
        *rating_calls.OPERATIONS,
    }
    assert set(examples) | elsewhere == set(ROUTES), "give every served operation an example"
    for name, arguments in examples.items():
        op = catalog.operation(name)
        body = client.call(name, **arguments)
        if op.response_key is None:
            assert body == {}, name  # 204, nothing to validate
            continue
        assert body[str(op.response_key)], name
        if not op.in_support_oas:
            continue  # business hours: their shapes are checked in tests/sandbox
        status = "201" if name in CREATED | rule_examples.CREATED else "200"
        validate_response(op.path, op.method.lower(), status, body)
