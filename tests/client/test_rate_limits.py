"""Client-side pacing against the sandbox's limits: which budgets a request spends, learned from
the headers, and never a 429."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

import httpx
import pytest

from tests.conftest import settings_for
from zdsync.client import (
    CursorList,
    IncrementalCursorExport,
    RateLimitSettings,
    ZendeskClient,
)
from zdsync.client.ratelimit import RateLimiter
from zdsync.sandbox import Sandbox, SandboxConfig

USERS_CURSOR = "/api/v2/incremental/users/cursor"
TICKETS_CURSOR = "/api/v2/incremental/tickets/cursor"
SHARED_HEADER = "zendesk-ratelimit-incremental-exports"


def limited(budget: Literal["both", "own"], account_rpm: int = 700) -> SandboxConfig:
    """Realistic limits with one-second windows and exports of a handful of pages each."""
    return SandboxConfig(
        time_scale=60,
        tickets=100,
        users=100,
        incremental_rpm=4,
        users_cursor_rpm=8,
        account_rpm=account_rpm,
        users_cursor_budget=budget,
    )


BOTH_MODES = [limited("both"), limited("own")]


def export(client: ZendeskClient, path: str, key: str) -> Callable[[], None]:
    def read() -> None:
        paginator = IncrementalCursorExport(path, key, start_time=0, per_page=20)
        assert sum(len(page.items) for page in client.paginate(paginator)) > 0

    return read


def list_pages(client: ZendeskClient) -> Callable[[], None]:
    def read() -> None:
        paginator = CursorList("/api/v2/deleted_users", "deleted_users", page_size=1)
        assert sum(len(page.items) for page in client.paginate(paginator)) > 0

    return read


def run_together(*readers: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def guarded(reader: Callable[[], None]) -> None:
        try:
            reader()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(reader,)) for reader in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def refused(sandbox: Sandbox) -> list[str]:
    return [entry.path for entry in sandbox.app.log if entry.status == 429]


@pytest.mark.parametrize("sandbox", BOTH_MODES, indirect=True, ids=["both", "own"])
def test_parallel_exports_are_never_refused_whichever_budget_users_spend(
    sandbox: Sandbox,
) -> None:
    with ZendeskClient(settings_for(sandbox)) as client:
        run_together(
            export(client, TICKETS_CURSOR, "tickets"), export(client, USERS_CURSOR, "users")
        )

    assert refused(sandbox) == []
    users_pages = [e for e in sandbox.app.log if e.path.removesuffix(".json") == USERS_CURSOR]
    assert len(users_pages) == 5


@pytest.mark.parametrize("sandbox", [limited("both")], indirect=True)
def test_a_users_cursor_request_stays_on_the_shared_budget_while_the_server_charges_it(
    sandbox: Sandbox,
) -> None:
    with ZendeskClient(settings_for(sandbox)) as client:
        run_together(
            export(client, TICKETS_CURSOR, "tickets"), export(client, USERS_CURSOR, "users")
        )

        assert client.limits.buckets_for("GET", USERS_CURSOR) == [
            "incremental",
            "users_cursor",
            "account",
        ]


def test_users_cursor_leaves_the_shared_budget_once_shown_and_returns_when_charged() -> None:
    # The test changes the running sandbox's config, so the config is its own, never a
    # parameter object that outlives the test (mutation testing reruns tests in one process).
    with Sandbox(limited("own")).start() as sandbox, ZendeskClient(settings_for(sandbox)) as client:
        # Before any response, the users cursor export is paced for the stricter case.
        assert "incremental" in client.limits.buckets_for("GET", USERS_CURSOR)
        client.get_json(TICKETS_CURSOR, params={"start_time": 0, "per_page": 1})
        client.get_json(USERS_CURSOR, params={"start_time": 0, "per_page": 1})
        relaxed = client.limits.buckets_for("GET", USERS_CURSOR)

        sandbox.app.config.users_cursor_budget = "both"
        client.get_json(USERS_CURSOR, params={"start_time": 0, "per_page": 1})
        charged_again = client.limits.buckets_for("GET", USERS_CURSOR)

    assert relaxed == ["users_cursor", "account"]
    assert charged_again == ["incremental", "users_cursor", "account"]


@pytest.mark.parametrize("sandbox", [limited("own")], indirect=True)
def test_the_first_users_cursor_response_alone_does_not_relax_the_pacing(
    sandbox: Sandbox,
) -> None:
    # No response has yet shown that the server reports the shared budget at all.
    with ZendeskClient(settings_for(sandbox)) as client:
        client.get_json(USERS_CURSOR, params={"start_time": 0, "per_page": 1})

        assert "incremental" in client.limits.buckets_for("GET", USERS_CURSOR)


class WithoutHeader(httpx.BaseTransport):
    """The sandbox over real HTTP, minus one response header, as a server that never sends it."""

    def __init__(self, header: str) -> None:
        self._inner = httpx.HTTPTransport()
        self._header = header

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        response.headers.pop(self._header, None)
        return response

    def close(self) -> None:
        self._inner.close()


@pytest.mark.parametrize("sandbox", BOTH_MODES, indirect=True, ids=["both", "own"])
def test_against_a_server_that_never_reports_the_shared_budget_users_stay_on_it(
    sandbox: Sandbox,
) -> None:
    transport = WithoutHeader(SHARED_HEADER)
    with ZendeskClient(settings_for(sandbox), transport=transport) as client:
        run_together(
            export(client, TICKETS_CURSOR, "tickets"), export(client, USERS_CURSOR, "users")
        )

        assert "incremental" in client.limits.buckets_for("GET", USERS_CURSOR)
    assert refused(sandbox) == []


@pytest.mark.parametrize(
    "sandbox",
    [limited("both", account_rpm=30), limited("own", account_rpm=30)],
    indirect=True,
    ids=["both", "own"],
)
def test_a_client_set_above_the_sandbox_limits_learns_them_and_is_never_refused(
    sandbox: Sandbox,
) -> None:
    generous = RateLimitSettings(
        account_per_window=10_000,
        incremental_per_window=100,
        users_cursor_per_window=200,
        window_seconds=sandbox.config.window_seconds,
    )
    with ZendeskClient(settings_for(sandbox, rate_limits=generous)) as client:
        run_together(
            export(client, TICKETS_CURSOR, "tickets"),
            export(client, USERS_CURSOR, "users"),
            list_pages(client),
        )
        learned = {name: limiter.limit for name, limiter in client.limits.limiters.items()}

    assert refused(sandbox) == []
    assert learned["account"] == 30
    assert learned["incremental"] == 4
    assert learned["users_cursor"] == 8
    # The list alone, a user a page, needs more than a window's account budget.
    assert sum(1 for e in sandbox.app.log if e.path == "/api/v2/deleted_users") > 30


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_unknown_rate_limit_header_becomes_a_bucket_for_its_endpoint(
    shared_sandbox: Sandbox,
) -> None:
    # Zendesk reports some endpoint limits the sandbox does not emulate; a stand-in server
    # sends one, beside the job cap, which is not a rate.
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"zendesk-ratelimit-inflight-jobs": "total=30; remaining=0; resets=9"}
        if request.url.path == "/api/v2/tickets":
            headers["Zendesk-RateLimit-tickets-index"] = "total=100; remaining=0; resets=41"
        return httpx.Response(200, json={"tickets": []}, headers=headers)

    clock = FakeClock()
    settings = settings_for(shared_sandbox)
    limits = RateLimiter(settings.rate_limits, clock=clock)
    transport = httpx.MockTransport(handler)
    with ZendeskClient(settings, transport=transport, rate_limiter=limits) as client:
        client.get_json("/api/v2/tickets")
        client.get_json("/api/v2/users/7")

    assert limits.buckets_for("GET", "/api/v2/tickets.json") == ["tickets-index", "account"]
    assert limits.buckets_for("GET", "/api/v2/users/8") == ["account"]
    assert limits.limiters["tickets-index"].limit == 100
    assert "inflight-jobs" not in limits.limiters
    assert limits.limiters["tickets-index"].delay() == pytest.approx(41)
    clock.now += 41
    assert limits.limiters["tickets-index"].delay() == 0


def test_requests_on_the_account_budget_alone_leave_room_for_the_narrower_ones() -> None:
    clock = FakeClock()
    limits = RateLimiter(
        RateLimitSettings(
            account_per_window=100,
            incremental_per_window=10,
            users_cursor_per_window=20,
            single_user_write_per_second=1,
        ),
        clock=clock,
    )
    (plain,) = limits.for_request("GET", "/api/v2/deleted_users")
    # 10 + 20 a window, and 60 single writes, but never more than half the account budget.
    assert plain.reserve == 50
    for _ in range(50):
        plain.limiter.acquire(plain.reserve)
        plain.limiter.release()

    assert plain.limiter.delay(plain.reserve) == pytest.approx(60)
    slots = limits.for_request("GET", TICKETS_CURSOR)
    assert [(slot.limiter.name, slot.reserve) for slot in slots] == [
        ("incremental", 0),
        ("account", 0),
    ]
    assert all(slot.limiter.delay(slot.reserve) == 0 for slot in slots)
