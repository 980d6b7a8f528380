"""zenpy, a Zendesk client written by others, runs unmodified against ``zdsync sandbox``.

The sandbox runs as the CLI starts it, in its own process, over HTTPS: zenpy always speaks
``https://{subdomain}.{domain}``, so the sandbox serves a certificate made for the test and
zenpy's session trusts it. Every response zenpy receives is checked against the OpenAPI file.
"""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import requests
import trustme
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, JobStatus, Organization, Ticket, User

from tests.sandbox.oas import operation_path, response_schema, validate
from tests.unrouted import strays
from zdsync.sandbox.config import ADMIN_EMAIL, API_TOKEN
from zdsync.sandbox.store import epoch

SIZES = ["--users", "260", "--tickets", "230", "--organizations", "140"]


@dataclass
class Served:
    """A ``zdsync sandbox`` process over HTTPS and the CA file that vouches for it."""

    base_url: str
    ca_file: Path
    checked: list[str] = field(default_factory=list)

    def _get(self, path: str) -> Any:
        trusted = ssl.create_default_context(cafile=str(self.ca_file))
        return httpx.get(self.base_url + path, verify=trusted).json()

    def state(self) -> dict[str, list[dict[str, Any]]]:
        """The sandbox's ground truth, read past zenpy."""
        body: dict[str, list[dict[str, Any]]] = self._get("/_sandbox/state")
        return body

    def api_requests(self) -> int:
        """How many API requests the sandbox has answered."""
        log = self._get("/_sandbox/requests")
        return sum(1 for entry in log["requests"] if entry["path"].startswith("/api/v2/"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    certificate.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    certificate.private_key_pem.write_to_path(str(folder / "key.pem"))
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    command = [str(Path(sys.executable).parent / "zdsync"), "sandbox", "--port", "0", *SIZES]
    command += ["--rate-limits", "off", "--job-latency", "0.3"]
    command += ["--tls-cert", str(folder / "cert.pem"), "--tls-key", str(folder / "key.pem")]
    process = subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        assert process.stdout is not None
        banner = next(line for line in process.stdout if "listening on" in line)
        found = re.search(r"https://\S+", banner)
        assert found is not None
        running = Served(found[0], folder / "ca.pem")
        yield running
        log = running._get("/_sandbox/requests")["requests"]
        assert strays(log) == [], "zenpy sent requests no catalog operation serves"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _conforms(served: Served, response: requests.Response, *args: Any, **kwargs: Any) -> None:
    method = response.request.method or "GET"
    template = operation_path(method, urlsplit(response.url).path)
    # A 204 has no body to check; the file gives deletions no response schema either.
    if response.status_code != 204:
        schema = response_schema(template, method.lower(), str(response.status_code))
        validate(schema, response.json())
    served.checked.append(f"{method} {template}")


@pytest.fixture
def zenpy(served: Served) -> Zenpy:
    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE from the environment override a session's own verify.
    session.trust_env = False
    session.verify = str(served.ca_file)
    session.hooks["response"].append(lambda response, *a, **k: _conforms(served, response))
    host, port = urlsplit(served.base_url).netloc.split(":")
    subdomain, domain = host.split(".", 1)
    # zenpy joins subdomain and domain with a dot: "127" and "0.0.1:<port>" make the loopback
    # address, reached through its constructor alone.
    return Zenpy(
        subdomain=subdomain,
        domain=f"{domain}:{port}",
        email=ADMIN_EMAIL,
        token=API_TOKEN,
        session=session,
    )


def _ids(records: Any) -> list[int]:
    return [int(record.id) for record in records]


def test_zenpy_iterates_every_list(served: Served, zenpy: Zenpy) -> None:
    truth = served.state()

    users = _ids(zenpy.users())
    tickets = _ids(zenpy.tickets())
    organizations = _ids(zenpy.organizations())

    assert users == sorted(u["id"] for u in truth["users"] if u["active"])
    assert tickets == sorted(t["id"] for t in truth["tickets"] if t["status"] != "deleted")
    assert organizations == sorted(o["id"] for o in truth["organizations"] if not o["deleted_at"])
    assert min(len(users), len(tickets), len(organizations)) > 100
    one = truth["tickets"][0]
    assert zenpy.tickets(id=one["id"]).subject == one["subject"]
    assert zenpy.users.me().email == ADMIN_EMAIL
    assert served.checked.count("GET /api/v2/users") == -(-len(users) // 100)
    assert len(served.checked) == served.api_requests()


def test_zenpy_runs_the_incremental_exports(served: Served, zenpy: Zenpy) -> None:
    truth = served.state()
    # Exports withhold the last minute's changes, such as the write tests', when they ran first.
    settled = time.time() - 60
    all_tickets = {t["id"] for t in truth["tickets"] if t["generated_timestamp"] < settled}
    all_users = {u["id"] for u in truth["users"] if epoch(u["updated_at"]) < settled}

    assert set(_ids(zenpy.tickets.incremental(start_time=0, per_page=100))) == all_tickets
    assert set(_ids(zenpy.users.incremental(start_time=0, per_page=100))) == all_users
    by_time = zenpy.tickets.incremental(start_time=0, paginate_by_time=True, per_page=100)
    assert set(_ids(by_time)) == all_tickets
    by_time = zenpy.users.incremental(start_time=0, paginate_by_time=True, per_page=100)
    assert set(_ids(by_time)) == all_users
    organizations = zenpy.organizations.incremental(start_time=0)
    assert set(_ids(organizations)) == {
        o["id"] for o in truth["organizations"] if epoch(o["updated_at"]) < settled
    }
    assert {"GET /api/v2/incremental/tickets/cursor", "GET /api/v2/incremental/users"} <= set(
        served.checked
    )
    assert len(served.checked) == served.api_requests()


def test_zenpy_upserts_users_and_reads_the_job(served: Served, zenpy: Zenpy) -> None:
    existing = next(u for u in served.state()["users"] if u["active"] and u["external_id"])
    # Given a list, zenpy's create_or_update posts to create_or_update_many and returns the job.
    job = zenpy.users.create_or_update(
        [
            User(name="Zenpy Person", email="zenpy.person@example.org", external_id="zenpy-1"),
            User(name="Renamed by zenpy", external_id=existing["external_id"]),
        ]
    )
    assert job.status == "queued"
    deadline = time.monotonic() + 10
    while (status := zenpy.job_status(id=job.id)).status != "completed":
        assert time.monotonic() < deadline, f"job still {status.status}"
        time.sleep(0.1)

    results = {row.external_id: row for row in status.results}
    assert (results["zenpy-1"].action, results["zenpy-1"].status) == ("create", "Created")
    assert results[existing["external_id"]].id == existing["id"]
    users = {u["id"]: u for u in served.state()["users"]}
    assert users[results["zenpy-1"].id]["email"] == "zenpy.person@example.org"
    assert users[existing["id"]]["name"] == "Renamed by zenpy"
    assert "POST /api/v2/users/create_or_update_many" in served.checked
    assert "GET /api/v2/job_statuses/{job_status_id}" in served.checked
    assert len(served.checked) == served.api_requests()


def test_zenpy_searches_tickets_users_and_organizations(served: Served, zenpy: Zenpy) -> None:
    truth = served.state()
    tickets = [t for t in truth["tickets"] if t["status"] != "deleted"]
    users = [u for u in truth["users"] if u["active"]]
    organizations = [o for o in truth["organizations"] if not o["deleted_at"]]
    since = date(2025, 6, 1)
    after = int(datetime(2025, 6, 2, tzinfo=UTC).timestamp())
    an_org = next(o for o in organizations if o["external_id"])

    assert _ids(zenpy.search(type="ticket", status="open")) == sorted(
        t["id"] for t in tickets if t["status"] == "open"
    )
    assert _ids(zenpy.search(type="ticket", status_less_than="solved", created_after=since)) == [
        t["id"]
        for t in sorted(tickets, key=lambda t: t["id"])
        if t["status"] in ("new", "open", "pending", "hold") and epoch(t["created_at"]) >= after
    ]
    assert _ids(zenpy.search(type="user", tags="vip", minus="role:end-user")) == sorted(
        u["id"] for u in users if "vip" in u["tags"] and u["role"] != "end-user"
    )
    assert _ids(zenpy.search(type="organization", tags="partner")) == sorted(
        o["id"] for o in organizations if "partner" in o["tags"]
    )
    assert zenpy.search.count(type="ticket", status="open") == sum(
        t["status"] == "open" for t in tickets
    )
    assert _ids(zenpy.users.search(query=f"email:{users[3]['email']}")) == [users[3]["id"]]
    # zenpy's organizations.external() appends its own "?page[size]" to a URL that already has
    # a query, so it cannot find anything anywhere; its unified search can.
    found = zenpy.search(type="organization", external_id=an_org["external_id"])
    assert _ids(found) == [an_org["id"]]
    assert {"GET /api/v2/search", "GET /api/v2/search/count", "GET /api/v2/users/search"} <= set(
        served.checked
    )
    assert len(served.checked) == served.api_requests()


def _completed(zenpy: Zenpy, job: JobStatus) -> JobStatus:
    deadline = time.monotonic() + 10
    while (status := zenpy.job_status(id=job.id)).status != "completed":
        assert time.monotonic() < deadline, f"job still {status.status}"
        time.sleep(0.1)
    return status


def test_zenpy_creates_updates_merges_and_deletes_tickets(served: Served, zenpy: Zenpy) -> None:
    made = zenpy.tickets.create(
        Ticket(subject="From zenpy", comment=Comment(body="Hello"), priority="high")
    ).ticket
    made.status = "pending"
    made.comment = Comment(body="A follow-up")
    zenpy.tickets.update(made)
    target, source = (
        zenpy.tickets.create(Ticket(subject=f"Merge {n}", comment=Comment(body="dup"))).ticket
        for n in (1, 2)
    )
    merged = _completed(zenpy, zenpy.tickets.merge(target.id, [source.id], target_comment="Merged"))
    zenpy.tickets.delete(target)

    tickets = {t["id"]: t for t in served.state()["tickets"]}
    assert (tickets[made.id]["status"], tickets[made.id]["priority"]) == ("pending", "high")
    assert [row.id for row in merged.results] == [source.id]
    assert tickets[source.id]["status"] == "closed"
    assert "closed_by_merge" in tickets[source.id]["tags"]
    assert tickets[target.id]["status"] == "deleted"
    assert {
        "POST /api/v2/tickets",
        "PUT /api/v2/tickets/{ticket_id}",
        "POST /api/v2/tickets/{ticket_id}/merge",
        "DELETE /api/v2/tickets/{ticket_id}",
    } <= set(served.checked)
    assert len(served.checked) == served.api_requests()


def test_zenpy_creates_updates_merges_and_deletes_users(served: Served, zenpy: Zenpy) -> None:
    kept = zenpy.users.create(User(name="Zenpy Kept", email="zenpy.kept@example.org"))
    dropped = zenpy.users.create(User(name="Zenpy Dropped", email="zenpy.dropped@example.org"))
    kept.notes = "Updated by zenpy"
    zenpy.users.update(kept)
    result = zenpy.users.merge(dropped, kept)
    removed = zenpy.users.create(User(name="Zenpy Removed", email="zenpy.removed@example.org"))
    zenpy.users.delete(removed)

    users = {u["id"]: u for u in served.state()["users"]}
    assert result.id == kept.id
    assert users[kept.id]["notes"] == "Updated by zenpy"
    assert users[dropped.id]["active"] is False
    assert users[removed.id]["active"] is False
    assert {
        "POST /api/v2/users",
        "PUT /api/v2/users/{user_id}",
        "PUT /api/v2/users/{user_id}/merge",
        "DELETE /api/v2/users/{user_id}",
    } <= set(served.checked)
    assert len(served.checked) == served.api_requests()


def test_zenpy_creates_updates_and_deletes_organizations(served: Served, zenpy: Zenpy) -> None:
    org = zenpy.organizations.create(Organization(name="Zenpy Org"))
    org.notes = "Updated by zenpy"
    zenpy.organizations.update(org)
    job = _completed(
        zenpy,
        zenpy.organizations.create([Organization(name="Zenpy A"), Organization(name="Zenpy B")]),
    )
    zenpy.organizations.delete(org)

    organizations = {o["id"]: o for o in served.state()["organizations"]}
    assert organizations[org.id]["notes"] == "Updated by zenpy"
    assert organizations[org.id]["deleted_at"] is not None
    assert sorted(organizations[row.id]["name"] for row in job.results) == ["Zenpy A", "Zenpy B"]
    assert "POST /api/v2/organizations/create_many" in served.checked
    assert len(served.checked) == served.api_requests()


def test_zenpy_lists_and_shows_a_users_identities(served: Served, zenpy: Zenpy) -> None:
    users = served.state()["users"]
    user = next(u for u in users if u["active"] and u["role"] == "end-user" and u["phone"])

    listed = list(zenpy.users.identities(id=user["id"]))
    shown = zenpy.users.identities.show(user["id"], listed[-1].id)

    assert {(i.type, i.value) for i in listed} == {
        ("email", user["email"]),
        ("phone_number", user["phone"]),
    }
    assert {i.user_id for i in listed} == {user["id"]}
    assert [i.primary for i in listed if i.type == "email"] == [True]
    assert (shown.id, shown.value) == (listed[-1].id, listed[-1].value)
    assert "GET /api/v2/users/{user_id}/identities/{user_identity_id}" in served.checked


def test_zenpy_reads_triggers_and_user_fields(served: Served, zenpy: Zenpy) -> None:
    truth = served.state()
    book = {c["id"]: c["position"] for c in truth["trigger_categories"]}
    firing = sorted(truth["triggers"], key=lambda t: (book[t["category_id"]], t["position"]))
    fields = sorted(truth["user_fields"], key=lambda f: (f["position"], f["id"]))

    triggers = list(zenpy.triggers())
    one = zenpy.triggers(id=firing[2]["id"])
    user_fields = list(zenpy.user_fields())
    plan = zenpy.user_fields(id=next(f["id"] for f in fields if f["key"] == "plan"))

    assert _ids(triggers) == [t["id"] for t in firing]
    assert (one.title, one.category_id) == (firing[2]["title"], firing[2]["category_id"])
    assert one.conditions.all == firing[2]["conditions"]["all"]
    assert _ids(user_fields) == [f["id"] for f in fields]
    assert [o.value for o in plan.custom_field_options] == ["free", "pro", "enterprise"]
    assert {"GET /api/v2/triggers", "GET /api/v2/triggers/{trigger_id}"} <= set(served.checked)
    assert "GET /api/v2/user_fields/{user_field_id}" in served.checked
    assert len(served.checked) == served.api_requests()
