"""Every sandbox endpoint answers in the shape Zendesk's OpenAPI file promises."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.sandbox import compact_oas
from tests.sandbox.oas import ValidationError, response_schema, validate
from zdsync.client import ZendeskClient
from zdsync.sandbox import Sandbox

PURGED_MARK = "Permanently Deleted User"


def user_with_deletion(sandbox: Sandbox) -> int:
    return next(iter(sandbox.store.compliance))


GETS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "/api/v2/incremental/tickets/cursor",
        "/api/v2/incremental/tickets/cursor.json",
        {"start_time": 0},
    ),
    ("/api/v2/incremental/tickets", "/api/v2/incremental/tickets", {"start_time": 0}),
    ("/api/v2/incremental/users/cursor", "/api/v2/incremental/users/cursor", {"start_time": 0}),
    ("/api/v2/incremental/users", "/api/v2/incremental/users.json", {"start_time": 0}),
    ("/api/v2/incremental/organizations", "/api/v2/incremental/organizations", {"start_time": 0}),
    ("/api/v2/deleted_users", "/api/v2/deleted_users", {"page[size]": 100}),
    ("/api/v2/deleted_users", "/api/v2/deleted_users.json", {"page": 1, "per_page": 50}),
    ("/api/v2/users/me", "/api/v2/users/me.json", {}),
    ("/api/v2/user_fields", "/api/v2/user_fields", {}),
    ("/api/v2/user_fields", "/api/v2/user_fields", {"page[size]": 2}),
    ("/api/v2/ticket_fields", "/api/v2/ticket_fields.json", {}),
    ("/api/v2/ticket_fields", "/api/v2/ticket_fields.json", {"page[size]": 2}),
    ("/api/v2/users", "/api/v2/users", {"page[size]": 100}),
    ("/api/v2/users", "/api/v2/users.json", {"page": 2, "per_page": 100, "role": "end-user"}),
    ("/api/v2/tickets", "/api/v2/tickets.json", {"page[size]": 100}),
    ("/api/v2/tickets", "/api/v2/tickets", {"page": 3}),
    ("/api/v2/organizations", "/api/v2/organizations", {"page[size]": 10}),
    ("/api/v2/organizations", "/api/v2/organizations.json", {}),
    ("/api/v2/satisfaction_ratings", "/api/v2/satisfaction_ratings", {"page[size]": 50}),
    ("/api/v2/satisfaction_ratings", "/api/v2/satisfaction_ratings.json", {"score": "bad"}),
]


@pytest.mark.parametrize(("spec_path", "url", "params"), GETS)
def test_list_and_export_responses_fit_the_spec(
    shared_client: ZendeskClient, spec_path: str, url: str, params: dict[str, Any]
) -> None:
    body = shared_client.get_json(url, params=params)
    validate(response_schema(spec_path), body)


def test_single_record_reads_fit_the_spec(
    shared_sandbox: Sandbox, shared_client: ZendeskClient
) -> None:
    user_id = min(shared_sandbox.store.users.records)
    org_id = min(shared_sandbox.store.organizations.records)
    ticket_id = min(shared_sandbox.store.tickets.records)
    purged = user_with_deletion(shared_sandbox)
    checks: list[tuple[str, str, dict[str, Any]]] = [
        ("/api/v2/users/{user_id}", f"/api/v2/users/{user_id}", {}),
        (
            "/api/v2/users/show_many",
            "/api/v2/users/show_many",
            {"ids": f"{user_id},{user_id + 17}"},
        ),
        ("/api/v2/organizations/{organization_id}", f"/api/v2/organizations/{org_id}.json", {}),
        ("/api/v2/tickets/{ticket_id}", f"/api/v2/tickets/{ticket_id}.json", {}),
        (
            "/api/v2/users/{user_id}/compliance_deletion_statuses",
            f"/api/v2/users/{purged}/compliance_deletion_statuses",
            {},
        ),
        (
            "/api/v2/users/{user_id}/compliance_deletion_statuses",
            f"/api/v2/users/{purged}/compliance_deletion_statuses",
            {"page[size]": 2},
        ),
    ]
    for spec_path, url, params in checks:
        validate(response_schema(spec_path), shared_client.get_json(url, params=params))


def test_bulk_upsert_and_job_statuses_fit_the_spec(sandbox: Sandbox, client: ZendeskClient) -> None:
    sandbox.app.config.job_latency_seconds = 0.2
    queued = client.post_json(
        "/api/v2/users/create_or_update_many",
        {
            "users": [
                {"name": "Ada", "email": "ada@example.org", "external_id": "crm-ada"},
                {"email": "user3@example.com", "name": "Renamed"},
                {"name": "Broken", "email": "not-an-email"},
            ]
        },
    )
    validate(response_schema("/api/v2/users/create_or_update_many", "post"), queued)
    assert queued["job_status"]["status"] == "queued"
    job_id = queued["job_status"]["id"]
    time.sleep(0.25)
    done = client.get_json(f"/api/v2/job_statuses/{job_id}")
    validate(response_schema("/api/v2/job_statuses/{job_status_id}"), done)
    many = client.get_json("/api/v2/job_statuses/show_many", params={"ids": job_id})
    validate(response_schema("/api/v2/job_statuses/show_many"), many)
    created, updated, failed = done["job_status"]["results"]
    # Departure: each upsert result carries the union of the three result shapes (index, id,
    # action, success, status, echoed keys) so both kinds of live parser work; the file's oneOf
    # would then match several branches, so each row is checked against the branch it is.
    validate("CreateResourceResult", created)
    validate("UpdateResourceResult", updated)
    validate("FailedResult", {**failed, "id": failed["id"] or 0})
    single = client.post_json(
        "/api/v2/users/create_or_update",
        {"user": {"name": "Single", "email": "single@example.org"}},
    )
    validate(response_schema("/api/v2/users/create_or_update", "post", "201"), single)


def test_oauth_token_response_fits_the_spec(sandbox: Sandbox, client: ZendeskClient) -> None:
    _, refresh = sandbox.app.accounts.issue(min(sandbox.store.users.records))
    response = client._http.post(
        "/oauth/tokens",
        json={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": "zdsync-sandbox",
            "client_secret": "sandbox-client-secret",
        },
    )
    assert response.status_code == 201
    validate(response_schema("/oauth/tokens", "post", "201"), response.json())


def test_deleted_tickets_appear_unless_excluded(shared_client: ZendeskClient) -> None:
    # Departure from the file's status enum, listed in tests/sandbox/oas.py: exports carry
    # deleted tickets with status "deleted" unless exclude_deleted is set.
    everything = shared_client.get_json("/api/v2/incremental/tickets", params={"start_time": 0})
    assert any(t["status"] == "deleted" for t in everything["tickets"])
    kept = shared_client.get_json(
        "/api/v2/incremental/tickets", params={"start_time": 0, "exclude_deleted": "true"}
    )
    assert kept["tickets"]
    assert all(t["status"] != "deleted" for t in kept["tickets"])


@pytest.mark.skipif(
    not compact_oas.SOURCE.is_file(), reason="Zendesk's OpenAPI file is not beside the repository"
)
def test_the_compact_schema_is_derived_from_the_current_oas() -> None:
    source = compact_oas.load_source(compact_oas.SOURCE)
    assert compact_oas.render(source) == compact_oas.COMPACT.read_text(), "run make oas"


def _keywords(schema: Any) -> set[str]:
    if isinstance(schema, list):
        return set().union(*map(_keywords, schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for key, value in schema.items():
        subschemas = value.values() if key == "properties" else [value]
        found |= set().union(*map(_keywords, subschemas)) if subschemas else set()
    return found


def test_the_compact_schema_keeps_types_and_drops_prose() -> None:
    schemas = json.loads(compact_oas.COMPACT.read_text())["components"]["schemas"]
    assert _keywords(list(schemas.values())) <= compact_oas.SCHEMA_KEYWORDS
    user = {"id": 1, "name": "A", "email": "a@example.com"}
    validate("UsersResponse", {"users": [user]})
    with pytest.raises(ValidationError, match="is not valid under any of the given schemas"):
        validate("UsersResponse", {"users": [{**user, "id": "1"}]})
    with pytest.raises(ValidationError, match="is not one of"):
        validate("TicketsResponse", {"tickets": [{"status": "lost"}]})
