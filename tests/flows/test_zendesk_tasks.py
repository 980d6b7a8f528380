"""The catalog's Prefect tasks and the credentials block, run in real flows against the sandbox."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId, TaskRunFilter
from prefect.client.schemas.filters import TaskRunFilterFlowRunId as ByFlowRun
from prefect.client.schemas.objects import State
from prefect.logging.handlers import APILogHandler
from pydantic import SecretStr

from flows.triage_tickets import duplicate_groups, subject_key, triage_tickets
from flows.zendesk_credentials import ZendeskCredentials
from flows.zendesk_tasks import (
    TASKS,
    create_or_update_many_users,
    export_search,
    list_users,
    show_tickets,
    wait_for_job,
)
from zdsync import catalog
from zdsync.client import ApiTokenCredentials
from zdsync.client.errors import ConfigurationError, InvalidArgumentsError, ServerError
from zdsync.sandbox import Fault, Sandbox, SandboxConfig
from zdsync.sandbox.routes import ROUTES


def saved_credentials(sandbox: Sandbox) -> str:
    name = f"zendesk-{uuid4().hex[:8]}"
    ZendeskCredentials(
        base_url=sandbox.base_url, email=sandbox.admin_email, api_token=SecretStr(sandbox.api_token)
    ).save(name)
    return name


def run_logs(flow_run_id: UUID) -> list[str]:
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        found = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
        )
    return [log.message for log in found]


def flow_run_id(state: State[Any]) -> UUID:
    found = state.state_details.flow_run_id
    assert found is not None
    return found


def test_there_is_one_task_per_operation_named_after_it() -> None:
    assert len(TASKS) == len(catalog.OPERATIONS)
    assert TASKS["merge_tickets"].description is not None
    assert "POST /api/v2/tickets/{ticket_id}/merge" in TASKS["merge_tickets"].description
    assert TASKS["create_or_update_many_users"].name == "create_or_update_many_users"
    assert {task.retries for task in TASKS.values()} == {0}


def test_the_block_is_saved_with_its_secrets_hidden_and_loads_whole(
    prefect_server: None, shared_sandbox: Sandbox
) -> None:
    name = saved_credentials(shared_sandbox)

    loaded = ZendeskCredentials.saved(name)
    with get_client(sync_client=True) as client:
        stored = client.read_block_document_by_name(
            name, "zendesk-credentials", include_secrets=False
        )

    assert loaded.api_token is not None
    assert loaded.api_token.get_secret_value() == shared_sandbox.api_token
    assert loaded.settings().origin == shared_sandbox.base_url
    assert stored.data["email"] == shared_sandbox.admin_email
    assert shared_sandbox.api_token not in str(stored.data)
    assert shared_sandbox.api_token not in repr(loaded)


def test_the_block_alone_says_where_and_as_whom(monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker's own settings never mix into a block's.
    monkeypatch.setenv("ZENDESK_OAUTH_TOKEN", "from-the-environment")
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "elsewhere")
    block = ZendeskCredentials(subdomain="acme", email="a@acme.test", api_token=SecretStr("t"))

    settings = block.settings()

    assert settings.origin == "https://acme.zendesk.com"
    assert isinstance(settings.credentials, ApiTokenCredentials)
    with pytest.raises(ConfigurationError, match=r"^no Zendesk credentials"):
        ZendeskCredentials(subdomain="acme").settings()


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", users=60, tickets=40, job_latency_seconds=0.0)],
    indirect=True,
)
def test_tasks_read_and_write_the_sandbox_inside_a_flow_and_log_no_secret(
    prefect_server: None, sandbox: Sandbox
) -> None:
    block = saved_credentials(sandbox)
    rows = [
        {"name": "Ada", "email": "ada@example.org"},
        {"name": "Alan", "email": "al@example.org"},
    ]
    ticket_id = min(sandbox.store.tickets.records)
    # One failed request: the client retries it and logs that it did.
    sandbox.app.faults.queue(Fault("503"), path_prefix="/api/v2/users", times=1)

    @flow
    def use_tasks() -> dict[str, Any]:
        credentials = ZendeskCredentials.saved(block)
        queued = create_or_update_many_users(credentials, users=rows)
        again = create_or_update_many_users(credentials, users=rows)
        return {
            "users": list_users(credentials, role="end-user")["users"],
            "ticket": show_tickets(credentials, ticket_id=ticket_id)["ticket"],
            "found": export_search(credentials, query="Ada", filter_type="user")["results"],
            "jobs": [wait_for_job(credentials, queued), wait_for_job(credentials, again)],
        }

    state = use_tasks(return_state=True)

    assert state.is_completed()
    result = state.result()
    assert isinstance(result, dict)
    store = sandbox.store
    end_users = sorted(
        u["id"] for u in store.users.records.values() if u["role"] == "end-user" and u["active"]
    )
    assert [u["id"] for u in result["users"]] == end_users
    assert result["ticket"]["subject"] == store.tickets.records[ticket_id]["subject"]
    assert [job["status"] for job in result["jobs"]] == ["completed", "completed"]
    # The same write twice is sent twice (the first after one retry): nothing is cached.
    posted = [e for e in sandbox.app.request_log() if e["path"].endswith("create_or_update_many")]
    assert [e["status"] for e in posted] == [503, 200, 200]
    assert [r["status"] for r in result["jobs"][1]["results"]] == ["Updated", "Updated"]
    ada = next(u for u in store.users.records.values() if u["email"] == "ada@example.org")
    assert ada["id"] in [r["id"] for r in result["found"]]
    logs = run_logs(flow_run_id(state))
    assert any("503" in message and "retry 1" in message for message in logs), logs
    for secret in (sandbox.api_token, sandbox.admin_email + "/token"):
        assert not [message for message in logs if secret in message]


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(rate_limits="off", users=10, tickets=5)], indirect=True
)
def test_a_task_fails_once_after_the_clients_retries_and_bad_arguments_send_nothing(
    prefect_server: None, sandbox: Sandbox
) -> None:
    block = saved_credentials(sandbox)
    # More failures than the client's attempts (8 by default), each asking for no wait: the
    # task fails, once.
    sandbox.app.faults.queue(Fault("503", 0), path_prefix="/api/v2/tickets", times=20)

    @flow
    def failing() -> None:
        credentials = ZendeskCredentials.saved(block)
        show_tickets(credentials, ticket_id=min(sandbox.store.tickets.records))

    @flow
    def mistaken() -> None:
        show_tickets(ZendeskCredentials.saved(block), ticket_id="seven")

    failed = failing(return_state=True)
    refused = mistaken(return_state=True)

    assert failed.is_failed()
    with pytest.raises(ServerError):
        failed.result()
    assert len([e for e in sandbox.app.request_log() if e["path"].startswith("/api/v2/t")]) == 8
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=ByFlowRun(any_=[flow_run_id(failed)]))
        )
    assert [run.run_count for run in runs] == [1]
    assert refused.is_failed()
    with pytest.raises(InvalidArgumentsError, match=r"^tickets.show: ticket_id must be a number"):
        refused.result()
    assert len(sandbox.app.request_log()) == 8


def test_duplicates_share_a_requester_and_a_subject() -> None:
    tickets: list[dict[str, Any]] = [
        {"id": 5, "requester_id": 1, "subject": "Printer on fire"},
        {"id": 3, "requester_id": 1, "subject": "RE: printer  on FIRE"},
        {"id": 9, "requester_id": 1, "subject": "Fwd: Re: Printer on fire"},
        {"id": 4, "requester_id": 2, "subject": "Printer on fire"},
        {"id": 6, "requester_id": 2, "subject": "Invoice"},
        {"id": 7, "requester_id": None, "subject": "Invoice"},
        {"id": 8, "requester_id": 2, "subject": "  "},
        {"id": 10, "requester_id": 2, "subject": None},
    ]

    assert duplicate_groups(tickets) == [(3, [5, 9])]
    assert subject_key("Re:  Hello World ") == "hello world"


def test_the_triage_flow_writes_nothing_when_the_search_finds_nothing(
    prefect_server: None, sandbox: Sandbox
) -> None:
    block = saved_credentials(sandbox)

    summary = triage_tickets(
        credentials_block=block, query="status:new nosuchwordanywhere", merge_duplicates=True
    )

    assert summary == {"found": 0, "updated": 0, "merged": 0}
    sent = sandbox.app.request_log()
    assert [(e["method"], e["path"]) for e in sent] == [("GET", "/api/v2/search/export")]
    assert sent[0]["query"]["query"] == "status:new nosuchwordanywhere"
    assert sent[0]["query"]["filter[type]"] == "ticket"


WRITES = ("tickets.update_many", "tickets.merge")


@pytest.mark.skipif(
    not all(name in ROUTES for name in WRITES),
    reason="the sandbox does not serve tickets.update_many and tickets.merge yet",
)
@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", users=30, tickets=60, job_latency_seconds=0.0)],
    indirect=True,
)
def test_the_triage_flow_updates_and_merges_what_the_search_finds(
    prefect_server: None, sandbox: Sandbox
) -> None:
    store = sandbox.store
    new = sorted(i for i, t in store.tickets.records.items() if t["status"] == "new")
    target, duplicate = new[0], new[1]
    store.update_ticket(
        duplicate,
        subject="Re: " + store.tickets.records[target]["subject"],
        requester_id=store.tickets.records[target]["requester_id"],
    )
    block = saved_credentials(sandbox)

    summary = triage_tickets(
        credentials_block=block, query="status:new", tag="triaged", merge_duplicates=True
    )

    assert summary["found"] == len(new)
    assert summary["updated"] == len(new)
    assert summary["merged"] >= 1
    assert "triaged" in store.tickets.records[target]["tags"]
    assert store.tickets.records[target]["status"] == "open"
    assert store.tickets.records[duplicate]["status"] == "closed"
