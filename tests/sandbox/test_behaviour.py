"""Sandbox behaviours a sync depends on, seen over real HTTP."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from typer.testing import CliRunner

from tests.sandbox.oas import response_schema, validate
from zdsync import cli
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.bulk import USER_MANAGER_ROLE_IDS
from zdsync.sandbox.config import ADMIN_EMAIL, AGENT_EMAIL, API_TOKEN
from zdsync.sandbox.store import Store, epoch

AUTH = (f"{ADMIN_EMAIL}/token", API_TOKEN)


def get(sandbox: Sandbox, path: str, **params: object) -> httpx.Response:
    return httpx.get(sandbox.base_url + path, params=params, auth=AUTH)  # type: ignore[arg-type]


def post(sandbox: Sandbox, path: str, body: object) -> httpx.Response:
    return httpx.post(sandbox.base_url + path, json=body, auth=AUTH)


def test_same_seed_same_data_with_the_awkward_cases() -> None:
    config = SandboxConfig(users=300, tickets=600)
    one, two = Store(config, "http://a"), Store(config, "http://a")
    assert one.tickets.records == two.tickets.records
    assert any(t["id"] > 2**32 for t in one.tickets.records.values())
    assert any(not u["name"].isascii() for u in one.users.records.values())
    emails = [u["email"] for u in one.users.records.values()]
    assert len({e.lower() for e in emails}) < len(emails)
    stamps = [k[0] for k in one.tickets.keys]
    assert max(stamps.count(s) for s in set(stamps)) >= 60
    assert any(
        t["generated_timestamp"] > epoch(t["updated_at"]) for t in one.tickets.records.values()
    )


@pytest.mark.sends_unknown_requests
def test_auth_is_checked_before_routing(shared_sandbox: Sandbox) -> None:
    response = httpx.get(shared_sandbox.base_url + "/api/v2/no/such/thing")
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}
    assert response.headers["www-authenticate"] == 'Basic realm="Web Password"'
    bearer = httpx.get(
        shared_sandbox.base_url + "/api/v2/users/me", headers={"Authorization": "Bearer nope"}
    )
    assert bearer.json()["error"] == "invalid_token"
    assert get(shared_sandbox, "/api/v2/no/such/thing").json()["error"] == "InvalidEndpoint"
    assert get(shared_sandbox, "/api/v2/users/me.json.json").status_code == 404


def test_recent_changes_are_withheld_for_a_minute(sandbox: Sandbox) -> None:
    first = get(sandbox, "/api/v2/incremental/tickets/cursor", start_time=0).json()
    while not first["end_of_stream"]:
        first = get(
            sandbox, "/api/v2/incremental/tickets/cursor", cursor=first["after_cursor"]
        ).json()
    ticket = sandbox.store.update_ticket(
        next(iter(sandbox.store.tickets.records)), subject="changed"
    )
    again = get(sandbox, "/api/v2/incremental/tickets/cursor", cursor=first["after_cursor"]).json()
    assert again["tickets"] == []
    assert again["end_of_stream"] is True
    sandbox.store.advance_clock(61)
    later = get(sandbox, "/api/v2/incremental/tickets/cursor", cursor=first["after_cursor"]).json()
    assert [t["id"] for t in later["tickets"]] == [ticket["id"]]
    too_recent = get(sandbox, "/api/v2/incremental/tickets", start_time=sandbox.store.now() - 10)
    assert too_recent.status_code == 422
    assert too_recent.json()["description"].startswith("Too recent start_time")


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="realistic", time_scale=6, incremental_rpm=3)],
    indirect=True,
)
def test_rate_limits_answer_with_zendesks_headers_and_bodies(sandbox: Sandbox) -> None:
    replies = [get(sandbox, "/api/v2/incremental/organizations", start_time=0) for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[0].headers["x-rate-limit"] == "700"
    assert replies[-1].json()["error"] == "APIRateLimitExceeded"
    assert 1 <= int(replies[-1].headers["retry-after"]) <= 10


BULK = "/api/v2/users/create_or_update_many"


def job_status(sandbox: Sandbox, job_id: str) -> dict[str, Any]:
    reply = get(sandbox, f"/api/v2/job_statuses/{job_id}")
    status: dict[str, Any] = reply.json()["job_status"]
    return status


@pytest.mark.parametrize(
    "sandbox",
    [
        SandboxConfig(time_scale=0.01, incremental_rpm=2, users_cursor_budget=budget)
        for budget in ("both", "own")
    ],
    indirect=True,
)
def test_the_users_cursor_export_spends_the_shared_budget_unless_set_to_its_own(
    sandbox: Sandbox,
) -> None:
    shares = sandbox.config.users_cursor_budget == "both"
    users = [get(sandbox, "/api/v2/incremental/users/cursor", start_time=0) for _ in range(2)]
    tickets = get(sandbox, "/api/v2/incremental/tickets/cursor", start_time=0)

    assert [u.status_code for u in users] == [200, 200]
    assert (
        users[1]
        .headers["zendesk-ratelimit-incremental-exports-cursor"]
        .startswith("total=20; remaining=18;")
    )
    assert ("zendesk-ratelimit-incremental-exports" in users[1].headers) is shares
    # Two users pages have spent the shared budget of two, or none of it.
    assert tickets.status_code == (429 if shares else 200)
    assert tickets.headers["zendesk-ratelimit-incremental-exports"].startswith(
        "total=2; remaining=0;" if shares else "total=2; remaining=1;"
    )


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", job_cap=2, job_latency_seconds=30)],
    indirect=True,
)
def test_the_job_cap_answers_too_many_jobs(sandbox: Sandbox) -> None:
    rows = {"users": [{"name": "X", "email": "x@example.org"}]}
    first, second, third = (post(sandbox, BULK, rows) for _ in range(3))
    assert first.status_code == second.status_code == 200
    assert second.headers["zendesk-ratelimit-inflight-jobs"].startswith("total=2; remaining=0")
    assert third.status_code == 429
    assert third.json()["error"] == "TooManyJobs"
    assert third.json()["current_job_ids"] == [
        first.json()["job_status"]["id"],
        second.json()["job_status"]["id"],
    ]
    assert 1 <= int(third.headers["retry-after"]) <= 30
    sandbox.store.advance_clock(29)
    assert post(sandbox, BULK, rows).status_code == 429
    sandbox.store.advance_clock(1)
    assert post(sandbox, BULK, rows).status_code == 200
    assert sandbox.app.jobs.too_many_jobs == 2


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(rate_limits="off", job_latency_seconds=30)], indirect=True
)
def test_jobs_move_through_their_states_on_the_sandbox_clock(sandbox: Sandbox) -> None:
    rows = [{"name": f"P{i}", "email": f"p{i}@example.org"} for i in range(10)]
    job = post(sandbox, BULK, {"users": rows}).json()["job_status"]
    assert (job["status"], job["progress"], job["results"]) == ("queued", None, None)
    sandbox.store.advance_clock(15)
    working = job_status(sandbox, job["id"])
    assert (working["status"], working["progress"], working["results"]) == ("working", 5, None)
    assert sandbox.store.find_user(email="p0@example.org") is None
    sandbox.store.advance_clock(15)
    done = job_status(sandbox, job["id"])
    assert (done["status"], done["progress"]) == ("completed", 10)
    assert done["message"].startswith("Completed at ")
    assert [r["status"] for r in done["results"]] == ["Created"] * 10
    assert sandbox.store.find_user(email="p9@example.org") is not None


def test_upserts_match_external_ids_in_any_case_and_add_new_emails(sandbox: Sandbox) -> None:
    user = next(
        u
        for u in sandbox.store.users.records.values()
        if u["active"] and u["external_id"] and u["role"] == "end-user"
    )
    job = post(
        sandbox,
        BULK,
        {
            "users": [
                {
                    "external_id": user["external_id"].upper(),
                    "email": "second@example.org",
                    "name": "New",
                },
            ]
        },
    ).json()["job_status"]
    assert job["status"] == "queued"
    sandbox.store.advance_clock(sandbox.config.job_latency_seconds)
    done = job_status(sandbox, job["id"])
    assert done["status"] == "completed"
    assert done["results"][0]["id"] == user["id"]
    assert done["results"][0]["status"] == "Updated"
    stored = sandbox.store.users.records[user["id"]]
    assert stored["external_id"] == user["external_id"].upper()
    assert stored["email"] == user["email"]
    assert "second@example.org" in sandbox.store.emails_of(stored)
    assert stored["name"] == "New"


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(rate_limits="off", bulk_imports_enabled=False)], indirect=True
)
def test_bulk_imports_disabled_is_a_403(sandbox: Sandbox) -> None:
    reply = post(sandbox, BULK, {"users": [{"name": "A"}]})
    assert reply.status_code == 403
    assert "data imports" in reply.json()["description"]


def test_only_admins_and_user_managing_agents_write_users_in_bulk(sandbox: Sandbox) -> None:
    agent = sandbox.store.find_user(email=AGENT_EMAIL)
    end_user = next(
        u for u in sandbox.store.users.records.values() if u["active"] and u["role"] == "end-user"
    )
    assert agent is not None
    body = {"users": [{"name": "A", "email": "a@example.org"}]}

    def as_user(email: str) -> httpx.Response:
        return httpx.post(sandbox.base_url + BULK, json=body, auth=(f"{email}/token", API_TOKEN))

    refused = [as_user(AGENT_EMAIL), as_user(end_user["email"])]
    sandbox.store.update_user(agent["id"], custom_role_id=min(USER_MANAGER_ROLE_IDS))
    allowed = [as_user(AGENT_EMAIL), as_user(ADMIN_EMAIL)]

    assert [r.status_code for r in refused] == [403, 403]
    assert all("You do not have access" in r.json()["description"] for r in refused)
    assert all("import" not in r.json()["description"] for r in refused)
    assert [r.status_code for r in allowed] == [200, 200]


ZENDESK_REFUSES = [
    "first,last@example.org",
    "trailing.@example.org",
    "two..dots@example.org",
    ".leading@example.org",
    "spa ce@example.org",
    '"quoted"@example.org',
    "user@example",
    "user@192.168.0.1",
    "user@-host.example.org",
    "not-an-email",
]


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(rate_limits="off", job_latency_seconds=1)], indirect=True
)
def test_invalid_rows_fail_alone_with_zendesks_vocabulary(sandbox: Sandbox) -> None:
    rows = [
        {"name": "Valid Person", "email": "valid.person@example.org"},
        {"name": "Bad Role", "email": "bad.role@example.org", "role": "owner"},
        {"email": "nameless@example.org"},
        {"name": "Bad Plan", "email": "plan@example.org", "user_fields": {"plan": "platinum"}},
        *({"name": "Bad Mail", "email": address} for address in ZENDESK_REFUSES),
        {"name": "Odd But Fine", "email": "o'neil+crm{1}@mail.example.co.uk"},
    ]
    job = post(sandbox, BULK, {"users": rows}).json()
    sandbox.store.advance_clock(1)

    results = job_status(sandbox, job["job_status"]["id"])["results"]
    by_index = {r["index"]: r for r in results}

    assert by_index[0]["status"] == "Created"
    assert by_index[0]["email"] == "valid.person@example.org"
    assert by_index[len(rows) - 1]["status"] == "Created"
    refused = range(1, len(rows) - 1)
    assert [by_index[i]["status"] for i in refused] == ["Failed"] * len(refused)
    assert "Role" in by_index[1]["details"]
    assert "Name" in by_index[2]["details"]
    assert "not a valid option" in by_index[3]["details"]
    assert all("not properly formatted" in by_index[i]["details"] for i in refused[3:])
    assert all(by_index[i]["error"] == "InvalidValue" for i in refused)


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(rate_limits="off", job_latency_seconds=1)], indirect=True
)
def test_jobs_told_to_fail_fail_as_a_whole_and_change_nothing(sandbox: Sandbox) -> None:
    answer = post(sandbox, "/_sandbox/fail_next_jobs", {"count": 2, "message": "boom"})
    assert answer.status_code == 200
    ids = [
        post(sandbox, BULK, {"users": [{"name": f"F{i}", "email": f"f{i}@example.org"}]}).json()[
            "job_status"
        ]["id"]
        for i in range(3)
    ]
    sandbox.store.advance_clock(1)

    statuses = [job_status(sandbox, job_id) for job_id in ids]

    assert [s["status"] for s in statuses] == ["failed", "failed", "completed"]
    assert [s["message"] for s in statuses[:2]] == ["boom", "boom"]
    assert [s["results"] for s in statuses[:2]] == [None, None]
    validate(response_schema("/api/v2/job_statuses/{job_status_id}"), {"job_status": statuses[0]})
    assert sandbox.store.find_user(email="f0@example.org") is None
    assert sandbox.store.find_user(email="f1@example.org") is None
    assert sandbox.store.find_user(email="f2@example.org") is not None
    assert post(sandbox, "/_sandbox/fail_next_jobs", {"count": "x", "size": 1}).status_code == 400


def single_upsert(sandbox: Sandbox, email: str) -> httpx.Response:
    body = {"user": {"name": "S", "email": email}}
    return post(sandbox, "/api/v2/users/create_or_update", body)


# A time scale of 1/100 stretches the account's second to 100 s and the per-user minute to 100
# minutes: every request a test sends lands in the window it means, however slow the machine, and
# the test moves the store's clock to step from one window to the next.
STRETCHED = SandboxConfig(time_scale=0.01)
STRETCHED_SECOND = 100.0


@pytest.mark.parametrize("sandbox", [STRETCHED], indirect=True)
def test_single_upserts_are_limited_to_one_a_second_per_account(sandbox: Sandbox) -> None:
    assert single_upsert(sandbox, "single@example.org").status_code == 201
    refused = single_upsert(sandbox, "other@example.org")
    sandbox.store.advance_clock(STRETCHED_SECOND)
    next_second = single_upsert(sandbox, "other@example.org")

    assert refused.status_code == 429
    assert "per second" in refused.text
    assert "retry-after" in refused.headers
    assert "remaining=0;" in refused.headers["zendesk-ratelimit-create-update-user"]
    assert next_second.status_code == 201


@pytest.mark.parametrize("sandbox", [STRETCHED], indirect=True)
def test_single_upserts_are_limited_to_five_a_minute_per_user(sandbox: Sandbox) -> None:
    answers = []
    for _ in range(6):
        answers.append(single_upsert(sandbox, "single@example.org"))
        sandbox.store.advance_clock(STRETCHED_SECOND)
    sandbox.store.advance_clock(60 * STRETCHED_SECOND)
    next_minute = single_upsert(sandbox, "single@example.org")

    assert [a.status_code for a in answers[:5]] == [201, 200, 200, 200, 200]
    assert answers[5].status_code == 429
    assert "single unique user" in answers[5].text
    assert "total=1;" in answers[5].headers["zendesk-ratelimit-create-update-user"]
    assert next_minute.status_code == 200


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_cli_serves_and_prints_a_working_curl_line(scheme: str, tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "zdsync"), "sandbox", "--port", "0"]
    command += ["--tickets", "50", "--users", "30", "--organizations", "5"]
    if scheme == "https":
        certificate = trustme.CA().issue_cert("127.0.0.1")
        certificate.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
        certificate.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
        command += [
            "--tls-cert",
            str(tmp_path / "cert.pem"),
            "--tls-key",
            str(tmp_path / "key.pem"),
        ]
    process = subprocess.Popen(  # noqa: S603
        command,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        curl = next(line for line in process.stdout if line.strip().startswith("curl "))
        found = re.search(r"curl (?:--cacert (\S+) )?-u '([^']+)' (\S+)$", curl.strip())
        assert found is not None
        assert found[3].startswith(f"{scheme}://")
        trust: ssl.SSLContext | bool = True
        if found[1] is not None:
            # curl trusts a certificate named by --cacert even when it is not an authority's.
            trust = ssl.create_default_context(cafile=found[1])
            trust.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        user, _, password = found[2].partition(":")
        answer = httpx.get(found[3], auth=(user, password), verify=trust)
        assert answer.status_code == 200
        assert answer.json()["user"]["email"] == ADMIN_EMAIL
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-cert", "cert.pem", "--tls-key", "key.pem"], "cannot use the TLS certificate"),
    ],
)
def test_the_cli_refuses_unusable_tls_options_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str], message: str
) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate")
    (tmp_path / "key.pem").write_text("not a key")
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(cli.app, ["sandbox", "--port", "0", *arguments])
    assert done.exit_code == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_cli_refuses_an_unknown_users_cursor_budget() -> None:
    command = [str(Path(sys.executable).parent / "zdsync"), "sandbox", "--port", "0"]
    done = subprocess.run(  # noqa: S603
        [*command, "--users-cursor-budget", "shared"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.strip() == (
        "zdsync: error: Invalid value for '--users-cursor-budget': Value error, 'shared' is not "
        "one of 'both', 'own'."
    )
