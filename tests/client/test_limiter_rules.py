"""The pacing rules on a clock the test moves: windows, reserves, pauses and what headers say."""

from __future__ import annotations

import threading

import pytest

from zdsync.client import RateLimitSettings
from zdsync.client.ratelimit import RateLimiter, Report, WindowLimiter, reports

USERS_CURSOR = "/api/v2/incremental/users/cursor"
TICKETS_CURSOR = "/api/v2/incremental/tickets/cursor"
SHARED = "zendesk-ratelimit-incremental-exports"
USERS_OWN = "zendesk-ratelimit-incremental-exports-cursor"


class Clock:
    """A clock that moves when told, or along a script of readings (then stays on the last)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.script: list[float] = []

    def __call__(self) -> float:
        if self.script:
            self.now = self.script.pop(0)
        return self.now


def spent(limiter: WindowLimiter, clock: Clock, *times: float) -> None:
    """Requests whose responses arrived at ``times``, each let through at once."""
    for when in times:
        clock.now = when
        # Checked first, so that a limiter which would block fails here instead of hanging.
        assert limiter.delay() == 0.0
        limiter.acquire()
        limiter.release()


def test_a_slot_frees_exactly_one_window_after_its_response_arrived() -> None:
    clock = Clock()
    limiter = WindowLimiter("w", 3, 60.0, clock)
    spent(limiter, clock, 0.0, 10.0, 20.0)

    clock.now = 30.0
    assert limiter.delay() == 30.0
    clock.now = 59.5
    assert limiter.delay() == 0.5
    clock.now = 60.0
    assert limiter.delay() == 0.0
    limiter.acquire()
    # The slot of the response at 10.0 is next.
    assert limiter.delay() == 10.0


def test_a_reserve_keeps_slots_free_for_others() -> None:
    clock = Clock()
    limiter = WindowLimiter("w", 3, 60.0, clock)
    spent(limiter, clock, 0.0, 10.0)

    clock.now = 30.0
    assert limiter.delay(0) == 0.0
    # Two used of three, one kept back: wait for the first to leave the window.
    assert limiter.delay(1) == 30.0
    # Two kept back: the second must leave too.
    assert limiter.delay(2) == 40.0
    spent(limiter, clock, 30.0)
    assert limiter.delay(1) == 40.0
    assert limiter.delay(0) == 30.0


def test_requests_in_flight_hold_their_slots_until_released() -> None:
    clock = Clock()
    limiter = WindowLimiter("w", 3, 60.0, clock)
    spent(limiter, clock, 0.0)
    clock.now = 5.0
    assert limiter.delay() == 0.0
    limiter.acquire()
    # One finished, one in flight, one free.
    assert limiter.delay() == 0.0
    limiter.acquire()
    # Full: the finished one frees first.
    assert limiter.delay() == 55.0
    # Full with every slot but the finished one's kept back, or all in flight: no time is known.
    assert limiter.delay(1) == 60.0
    clock.now = 70.0
    assert limiter.delay() == 0.0
    assert limiter.delay(1) == 60.0
    limiter.release()
    clock.now = 100.0
    assert limiter.delay(1) == 30.0


def test_a_pause_holds_every_request_and_a_shorter_one_does_not_shorten_it() -> None:
    clock = Clock(100.0)
    limiter = WindowLimiter("w", 5, 60.0, clock)
    limiter.pause(20.0)
    assert limiter.delay() == 20.0
    clock.now = 105.0
    limiter.pause(5.0)
    assert limiter.delay() == 15.0
    clock.now = 120.0
    assert limiter.delay() == 0.0


def test_the_server_running_out_pauses_only_when_our_own_count_has_room() -> None:
    clock = Clock()
    ours = WindowLimiter("w", 1, 60.0, clock)
    spent(ours, clock, 0.0)
    # Our own count already waits 60s; the server's 100 is not added on top.
    ours.exhausted(100.0)
    clock.now = 60.0
    assert ours.delay() == 0.0

    shared = WindowLimiter("w", 5, 60.0, clock)
    spent(shared, clock, 60.0)
    shared.exhausted(100.0)
    assert shared.delay() == 100.0
    shared.exhausted(10.0)
    assert shared.delay() == 100.0


def test_the_server_running_out_counts_against_every_slot_and_any_wait_of_our_own() -> None:
    clock = Clock()
    # One slot of two used: room for a request that keeps none in reserve, so the server wins.
    half = WindowLimiter("w", 2, 60.0, clock)
    spent(half, clock, 0.0)
    half.exhausted(100.0)
    assert half.delay() == 100.0

    # Half a second to go on our own count is still a wait of our own.
    almost = WindowLimiter("w", 1, 60.0, clock)
    spent(almost, clock, 0.0)
    clock.now = 59.5
    almost.exhausted(100.0)
    clock.now = 60.0
    assert almost.delay() == 0.0


def test_only_a_lower_positive_limit_is_adopted() -> None:
    limiter = WindowLimiter("w", 10, 60.0, Clock())
    for reported in (0, -5, 11):
        limiter.set_limit(reported)
        assert limiter.limit == 10
    limiter.set_limit(9)
    assert limiter.limit == 9
    limiter.set_limit(10)
    assert limiter.limit == 9


def acquired_within(limiter: WindowLimiter, seconds: float) -> bool:
    """Whether ``acquire`` returns within ``seconds`` of real time (it waits on real time)."""
    thread = threading.Thread(target=limiter.acquire, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()


def test_time_spent_waiting_is_added_up_on_the_limiters_clock() -> None:
    clock = Clock()
    limiter = WindowLimiter("w", 1, 0.25, clock)
    spent(limiter, clock, 10.0)
    # Read at the start, then while blocked (0.25s to go), then once the slot is free.
    clock.script = [10.0, 10.0, 10.25]
    assert acquired_within(limiter, 30)
    limiter.release()
    assert limiter.waited_seconds == 0.25
    clock.script = [10.25, 10.25, 10.5]
    assert acquired_within(limiter, 30)
    assert limiter.waited_seconds == 0.5


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, {}),
        # Either family reports the account budget; the X- family wins when both do.
        (
            {"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "699"},
            {"x-rate-limit": Report(700, 699, None)},
        ),
        (
            {"ratelimit-limit": "400", "ratelimit-remaining": "0", "ratelimit-reset": "12"},
            {"x-rate-limit": Report(400, 0, 12)},
        ),
        (
            {"X-Rate-Limit": "700", "RateLimit-Limit": "400", "RateLimit-Remaining": "3"},
            {"x-rate-limit": Report(700, 3, None)},
        ),
        ({"X-Rate-Limit-Remaining": "0"}, {"x-rate-limit": Report(None, 0, None)}),
        # A reset time alone says nothing of the budget.
        ({"ratelimit-reset": "12"}, {}),
        (
            {"X-Rate-Limit": " 700 ", "X-Rate-Limit-Remaining": "many"},
            {"x-rate-limit": Report(700, None, None)},
        ),
        (
            {"Zendesk-RateLimit-Incremental-Exports": "total=10; remaining=4; resets=33"},
            {SHARED: Report(10, 4, 33)},
        ),
        (
            {"zendesk-ratelimit-tickets-index": "resets=9;total=100"},
            {"zendesk-ratelimit-tickets-index": Report(100, None, 9)},
        ),
        (
            {"zendesk-ratelimit-x": "total=ten; remaining=-1"},
            {"zendesk-ratelimit-x": Report(None, None, None)},
        ),
        # A cap on queued jobs, not a rate.
        ({"Zendesk-RateLimit-Inflight-Jobs": "total=30; remaining=0; resets=9"}, {}),
        ({"ratelimit-x": "total=1"}, {}),
    ],
)
def test_headers_are_read_into_reports(
    headers: dict[str, str], expected: dict[str, Report]
) -> None:
    assert reports(headers) == expected


def limiter_for(**sizes: int) -> RateLimiter:
    """Limiters of these sizes on a clock that stands still."""
    return RateLimiter(RateLimitSettings(**sizes), clock=Clock())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "path", "buckets"),
    [
        ("GET", "/api/v2/tickets.json", ["account"]),
        ("GET", TICKETS_CURSOR, ["incremental", "account"]),
        ("GET", TICKETS_CURSOR + ".json", ["incremental", "account"]),
        ("GET", USERS_CURSOR, ["incremental", "users_cursor", "account"]),
        ("GET", USERS_CURSOR + ".json", ["incremental", "users_cursor", "account"]),
        ("GET", USERS_CURSOR + "/more", ["account"]),
        ("POST", "/api/v2/users/create_or_update.json", ["single_user_write", "account"]),
        ("PUT", "/api/v2/users/create_or_update.json", ["account"]),
        ("POST", "/api/v2/users/create_or_update_many.json", ["account"]),
        ("POST", "/oauth/tokens", []),
    ],
)
def test_each_request_passes_the_limiters_of_its_buckets_scarcest_first(
    method: str, path: str, buckets: list[str]
) -> None:
    # Sizes chosen so scarcest-first differs from the table's order.
    limits = limiter_for(
        account_per_window=700,
        incremental_per_window=5,
        users_cursor_per_window=8,
        single_user_write_per_second=2,
    )
    assert limits.buckets_for(method, path) == buckets


def test_scarcest_first_follows_the_sizes() -> None:
    limits = limiter_for(incremental_per_window=30, users_cursor_per_window=8)
    assert limits.buckets_for("GET", USERS_CURSOR) == ["users_cursor", "incremental", "account"]


def test_a_limiter_that_is_off_passes_every_request() -> None:
    limits = RateLimiter(RateLimitSettings(enabled=False))
    assert limits.for_request("GET", TICKETS_CURSOR) == []
    assert limits.buckets_for("GET", "/api/v2/tickets") == []


def test_the_account_reserve_is_a_window_of_every_narrower_bucket_at_most_half() -> None:
    limits = limiter_for(
        account_per_window=1000,
        incremental_per_window=10,
        users_cursor_per_window=20,
        single_user_write_per_second=3,
    )
    (plain,) = limits.for_request("GET", "/api/v2/tickets")
    # 10 + 20 a minute, and 3 a second for 60 seconds.
    assert plain.reserve == 210
    assert [slot.reserve for slot in limits.for_request("GET", TICKETS_CURSOR)] == [0, 0]

    small = limiter_for(account_per_window=101)
    (plain,) = small.for_request("GET", "/api/v2/tickets")
    assert plain.reserve == 50


def test_the_single_write_bucket_has_a_one_second_window() -> None:
    limits = limiter_for(single_user_write_per_second=1)
    limiter = limits.limiters["single_user_write"]
    assert (limiter.limit, limiter.window) == (1, 1.0)
    assert limits.limiters["account"].window == 60.0
    limits2 = RateLimiter(RateLimitSettings(window_seconds=6.0))
    assert limits2.limiters["single_user_write"].window == pytest.approx(0.1)
    assert limits2.limiters["incremental"].window == 6.0


def test_a_report_lowers_the_limit_and_an_empty_budget_pauses_for_its_reset() -> None:
    limits = limiter_for(incremental_per_window=10)
    incremental = limits.limiters["incremental"]
    limits.observe("GET", TICKETS_CURSOR, 200, {SHARED: "total=6; remaining=5; resets=60"})
    assert incremental.limit == 6
    assert incremental.delay() == 0.0
    limits.observe("GET", TICKETS_CURSOR, 200, {SHARED: "total=6; remaining=0; resets=42"})
    assert incremental.delay() == 42.0
    # Other limiters are left alone.
    assert limits.limiters["account"].delay() == 0.0
    assert limits.limiters["account"].limit == 700


def test_an_empty_budget_without_a_reset_time_pauses_a_window() -> None:
    limits = limiter_for()
    limits.observe("GET", "/api/v2/tickets", 200, {"X-Rate-Limit-Remaining": "0"})
    assert limits.limiters["account"].delay() == 60.0
    assert limits.limiters["account"].limit == 700
    limits = limiter_for()
    reset_now = {"ratelimit-remaining": "0", "ratelimit-reset": "0"}
    limits.observe("GET", "/api/v2/tickets", 200, reset_now)
    assert limits.limiters["account"].delay() == 60.0


def test_an_unknown_header_without_a_total_is_ignored() -> None:
    limits = limiter_for()
    limits.observe("GET", "/api/v2/tickets/7", 200, {"zendesk-ratelimit-odd": "remaining=0"})
    assert "odd" not in limits.limiters
    assert limits.buckets_for("GET", "/api/v2/tickets/8") == ["account"]


def test_an_unknown_header_becomes_a_bucket_for_its_endpoint_alone() -> None:
    limits = limiter_for()
    limits.observe("GET", "/api/v2/tickets/7.json", 429, {"zendesk-ratelimit-show": "total=3"})
    learned = limits.limiters["show"]
    assert (learned.limit, learned.window) == (3, 60.0)
    assert limits.buckets_for("GET", "/api/v2/tickets/9") == ["show", "account"]
    assert limits.buckets_for("DELETE", "/api/v2/tickets/9") == ["account"]
    assert limits.buckets_for("GET", "/api/v2/tickets") == ["account"]
    # Learned buckets count towards the account reserve.
    (plain,) = limits.for_request("GET", "/api/v2/users")
    assert plain.reserve == 10 + 20 + 60 + 3


def test_a_known_header_on_an_endpoint_the_table_does_not_give_it_is_learned_there() -> None:
    limits = limiter_for()
    limits.observe("GET", "/api/v2/search/export", 200, {SHARED: "total=4; remaining=2"})
    assert limits.buckets_for("GET", "/api/v2/search/export.json") == [
        "incremental",
        "search_export",
        "account",
    ]
    assert limits.limiters["incremental"].limit == 4


def test_users_cursor_leaves_the_shared_budget_only_when_a_success_shows_it() -> None:
    limits = limiter_for()
    own = {USERS_OWN: "total=20; remaining=19"}
    # The server reports the shared budget somewhere.
    limits.observe("GET", TICKETS_CURSOR, 200, {SHARED: "total=10; remaining=9"})
    # A refused users cursor request shows nothing.
    limits.observe("GET", USERS_CURSOR, 400, own)
    assert "incremental" in limits.buckets_for("GET", USERS_CURSOR)
    # Reporting only the account budget besides does not show it either.
    limits.observe("GET", USERS_CURSOR, 200, {"X-Rate-Limit": "700"})
    assert "incremental" in limits.buckets_for("GET", USERS_CURSOR)
    limits.observe("GET", USERS_CURSOR, 200, own)
    assert limits.buckets_for("GET", USERS_CURSOR) == ["users_cursor", "account"]
    # Tickets keep their shared budget whatever users show.
    assert limits.buckets_for("GET", TICKETS_CURSOR) == ["incremental", "account"]
    limits.observe("GET", USERS_CURSOR, 200, {**own, SHARED: "total=10; remaining=8"})
    assert limits.buckets_for("GET", USERS_CURSOR) == ["incremental", "users_cursor", "account"]


def test_users_cursor_stays_on_the_shared_budget_while_reports_go_elsewhere() -> None:
    limits = limiter_for()
    limits.observe("GET", TICKETS_CURSOR, 200, {SHARED: "total=10; remaining=9"})
    # A tickets response that lacks the shared report proves nothing about users.
    limits.observe("GET", TICKETS_CURSOR, 200, {"X-Rate-Limit": "700"})
    assert "incremental" in limits.buckets_for("GET", USERS_CURSOR)
    # The users cursor report on the shared budget adjusts the shared limiter.
    limits.observe("GET", USERS_CURSOR, 200, {SHARED: "total=7; remaining=0; resets=5"})
    assert limits.limiters["incremental"].limit == 7
    assert limits.limiters["incremental"].delay() == 5.0
    assert limits.limiters["users_cursor"].delay() == 0.0


def test_waited_seconds_adds_every_limiter() -> None:
    limits = limiter_for()
    limits.limiters["account"].waited_seconds = 1.5
    limits.limiters["incremental"].waited_seconds = 2.0
    assert limits.waited_seconds == 3.5
