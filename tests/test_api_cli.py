"""``zdsync api`` against the sandbox over HTTP, checked against the sandbox's data and log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from zdsync import catalog
from zdsync.cli import app
from zdsync.sandbox import Sandbox, SandboxConfig

ZDSYNC = str(Path(sys.executable).parent / "zdsync")


def env_for(sandbox: Sandbox) -> dict[str, str]:
    return {
        "ZENDESK_BASE_URL": sandbox.base_url,
        "ZENDESK_EMAIL": sandbox.admin_email,
        "ZENDESK_API_TOKEN": sandbox.api_token,
        "ZENDESK_RATE_LIMITS": "off",
    }


def zdsync_api(sandbox: Sandbox, *args: str) -> Result:
    result = CliRunner().invoke(app, ["api", *args], env=env_for(sandbox))
    assert sandbox.api_token not in result.stdout + result.stderr
    return result


def sent(sandbox: Sandbox) -> list[tuple[str, str]]:
    return [(entry["method"], entry["path"]) for entry in sandbox.app.request_log()]


def test_list_names_every_catalog_operation_once() -> None:
    result = CliRunner().invoke(app, ["api", "--list"])

    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == [op.name for op in catalog.OPERATIONS]
    merge = next(line for line in result.stdout.splitlines() if line.startswith("tickets.merge"))
    assert merge.split()[1:4] == ["POST", "/api/v2/tickets/{ticket_id}/merge", "ticket_id:integer*"]
    assert merge.endswith("[bulk job, destructive]")


def test_a_list_reads_the_first_records_in_id_order(shared_sandbox: Sandbox) -> None:
    result = zdsync_api(shared_sandbox, "users.list", "--arg", "role=agent", "--limit", "130")

    assert result.exit_code == 0, result.stderr
    agents = sorted(
        u["id"]
        for u in shared_sandbox.store.users.records.values()
        if u["role"] == "agent" and u["active"]
    )
    assert [u["id"] for u in json.loads(result.stdout)["users"]] == agents[:130]


def test_a_show_prints_the_record_as_json_or_as_a_table(shared_sandbox: Sandbox) -> None:
    ticket = shared_sandbox.store.tickets.records[min(shared_sandbox.store.tickets.records)]

    shown = zdsync_api(shared_sandbox, "tickets.show", "--arg", f"ticket_id={ticket['id']}")
    table = zdsync_api(shared_sandbox, "tickets.show", "-a", f"ticket_id={ticket['id']}", "--table")

    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["ticket"]["subject"] == ticket["subject"]
    rows = {line.split("│")[1].strip(): line for line in table.stdout.splitlines() if "│" in line}
    assert str(ticket["id"]) in rows["id"]
    assert ticket["status"] in rows["status"]


def test_a_search_finds_the_user_by_email(shared_sandbox: Sandbox) -> None:
    users = shared_sandbox.store.users.records
    user = [users[i] for i in sorted(users) if users[i]["active"] and users[i]["email"]][5]

    result = zdsync_api(
        shared_sandbox, "search.list", "--arg", f"query=type:user email:{user['email']}"
    )

    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in json.loads(result.stdout)["results"]] == [user["id"]]


def test_a_write_changes_the_sandbox(sandbox: Sandbox) -> None:
    record = json.dumps({"name": "Ada Lovelace", "email": "ada@example.org"})

    result = zdsync_api(sandbox, "users.create_or_update", "--arg", f"user={record}")

    assert result.exit_code == 0, result.stderr
    created = json.loads(result.stdout)["user"]
    assert sandbox.store.users.records[created["id"]]["email"] == "ada@example.org"
    assert sent(sandbox) == [("POST", "/api/v2/users/create_or_update")]


def test_a_dry_run_prints_the_request_and_sends_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    rows = tmp_path / "users.json"
    rows.write_text(json.dumps([{"name": "Grace Hopper", "email": "grace@example.org"}]))
    users_before = len(sandbox.store.users.records)

    result = zdsync_api(
        sandbox, "users.create_or_update_many", "--arg", f"users=@{rows}", "--dry-run"
    )
    merge = zdsync_api(sandbox, "tickets.merge", "-a", "ticket_id=1", "-a", "ids=2,3", "--dry-run")

    assert result.exit_code == 0, result.stderr
    first, *body = result.stdout.splitlines()
    assert first == f"POST {sandbox.base_url}/api/v2/users/create_or_update_many"
    assert json.loads("\n".join(body)) == {"users": json.loads(rows.read_text())}
    assert merge.exit_code == 0
    assert merge.stdout.splitlines()[0] == f"POST {sandbox.base_url}/api/v2/tickets/1/merge"
    assert sandbox.admin_email not in result.stdout + merge.stdout
    assert sent(sandbox) == []
    assert len(sandbox.store.users.records) == users_before


@pytest.mark.parametrize(
    ("operation", "argument", "request_line"),
    [
        ("users.delete", "user_id=7", "DELETE /api/v2/users/7"),
        ("users.logout_many", "ids=7,8", "POST /api/v2/users/logout_many?ids=7%2C8"),
    ],
)
def test_a_destructive_operation_needs_yes(
    sandbox: Sandbox, operation: str, argument: str, request_line: str
) -> None:
    method, _, path = request_line.partition(" ")

    refused = zdsync_api(sandbox, operation, "--arg", argument)

    assert refused.exit_code == 2
    assert f"{method} {sandbox.base_url}{path}" in refused.stderr.splitlines()
    assert refused.stderr.splitlines()[-1] == "zdsync: error: add --yes to run it"
    assert sent(sandbox) == []
    # With --yes it goes out, and the command ends as the sandbox answered.
    confirmed = zdsync_api(sandbox, operation, "--arg", argument, "--yes")
    assert sent(sandbox) == [(method, path.partition("?")[0])]
    status = sandbox.app.request_log()[-1]["status"]
    assert confirmed.exit_code == (0 if status < 400 else 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tickets.show", "-a", "ticket_id=abc"], "tickets.show: ticket_id must be a number"),
        (["tickets.show"], "tickets.show: missing required argument 'ticket_id'"),
        (["tickets.shw", "-a", "ticket_id=1"], "no Zendesk operation named 'tickets.shw'"),
        (["tickets.show", "-a", "id=1"], "tickets.show: unknown argument 'id'"),
        (["users.create", "-a", "user={name:"], "users.create: user is not valid JSON"),
        (["users.create", "-a", "user=@/nonexistent.json"], "cannot read /nonexistent.json"),
        (["users.show", "-a", "user_id"], "--arg 'user_id': write it as name=value"),
        (["users.show", "-a", "user_id=1", "--wait"], "--wait: users.show queues no job"),
        (["users.show_many", "-a", "ids=" + ",".join(map(str, range(101)))], "at most 100"),
    ],
)
def test_bad_input_is_one_line_and_sends_nothing(
    shared_sandbox: Sandbox, args: list[str], message: str
) -> None:
    before = len(shared_sandbox.app.request_log())

    result = zdsync_api(shared_sandbox, *args)

    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert result.stdout == ""
    assert len(shared_sandbox.app.request_log()) == before


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", users=20, tickets=5, job_latency_seconds=3600)],
    indirect=True,
)
def test_a_bulk_write_waits_for_its_job(sandbox: Sandbox, tmp_path: Path) -> None:
    rows = [{"name": f"Imported {i}", "email": f"imported{i}@example.org"} for i in range(3)]
    source = tmp_path / "users.json"
    source.write_text(json.dumps(rows))
    process = subprocess.Popen(  # noqa: S603
        [ZDSYNC, "api", "users.create_or_update_many", "-a", f"users=@{source}", "--wait"],
        env={**os.environ, **env_for(sandbox)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The job lasts an hour on the sandbox's clock: it ends when the test moves the clock,
        # after the command has seen it unfinished.
        polled = sandbox.app.jobs.wait_until(lambda j: j.polls_since_last_job >= 1, timeout=60)
        assert polled, "the command never polled its job"
        sandbox.store.advance_clock(3600)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()

    assert process.returncode == 0, err
    job = json.loads(out)["job_status"]
    assert job["status"] == "completed"
    emails = {u["email"] for u in sandbox.store.users.records.values()}
    assert {row["email"] for row in rows} <= emails
    assert [r["status"] for r in job["results"]] == ["Created"] * 3
    assert sandbox.api_token not in out + err


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", users=10, tickets=5, job_latency_seconds=0)],
    indirect=True,
)
def test_a_job_that_fails_ends_the_wait_with_exit_code_1(sandbox: Sandbox) -> None:
    sandbox.app.jobs.fail_next_jobs(1, "Internal error")
    record = json.dumps([{"name": "Ada", "email": "ada@example.org"}])

    result = zdsync_api(sandbox, "users.create_or_update_many", "-a", f"users={record}", "--wait")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["job_status"]["status"] == "failed"
    assert "ada@example.org" not in {u["email"] for u in sandbox.store.users.records.values()}
