"""Requests the server counted that this run did not send (an earlier run's, another tool's):
learned from what the server says is left, on a clock the test moves, and against the
sandbox with a run started right after another."""

from __future__ import annotations

import pytest

from tests.client.test_limiter_rules import Clock, spent
from tests.client.test_rate_limits import (
    TICKETS_CURSOR,
    USERS_CURSOR,
    export,
    limited,
    refused,
    run_together,
)
from tests.conftest import settings_for
from zdsync.client import ZendeskClient
from zdsync.client.ratelimit import WindowLimiter
from zdsync.sandbox import Sandbox


def answered(limiter: WindowLimiter, clock: Clock, at: float, spent: int, resets: int) -> None:
    """One request let through and answered at ``at``, the server counting ``spent``."""
    clock.now = at
    assert limiter.delay() == 0.0
    limiter.acquire()
    limiter.spent_by_server(spent, resets)
    limiter.release()


def test_the_first_request_goes_alone_until_its_answer_comes() -> None:
    clock = Clock()
    limiter = WindowLimiter("w", 10, 60.0, clock)
    limiter.acquire()
    assert limiter.delay() > 0
    limiter.release()
    assert limiter.delay() == 0.0
    limiter.acquire()
    assert limiter.delay() == 0.0


def test_what_the_server_counts_beyond_our_own_holds_slots_for_a_window() -> None:
    clock = Clock()
    limiter = WindowLimiter("w", 10, 60.0, clock)
    # The server counts 8 of 10 spent, and one of them is ours; its oldest leaves in 60 s,
    # as if just sent, so nothing says when the others do.
    answered(limiter, clock, 0.0, spent=8, resets=60)
    answered(limiter, clock, 1.0, spent=9, resets=59)
    answered(limiter, clock, 2.0, spent=10, resets=58)

    clock.now = 3.0
    # The seven others hold their slots until a window after they were learned of.
    assert limiter.delay() == pytest.approx(57.0)
    clock.now = 60.0
    assert limiter.delay() == 0.0


def test_the_first_to_leave_is_believed_when_it_cannot_be_ours() -> None:
    clock = Clock()
    limiter = WindowLimiter("w", 3, 60.0, clock)
    # Ours leaves in 60 s, the server's first in 20: that one is another's, and frees then.
    answered(limiter, clock, 0.0, spent=3, resets=20)
    assert limiter.delay() == pytest.approx(20.0)
    clock.now = 20.0
    assert limiter.delay() == 0.0
    limiter.acquire()
    limiter.release()
    # The other foreign request, taken as sent just now, frees a window after it was learned.
    assert limiter.delay() == pytest.approx(40.0)


def test_our_own_requests_are_never_counted_twice() -> None:
    clock = Clock()
    limiter = WindowLimiter("w", 3, 60.0, clock)
    spent(limiter, clock, 0.0, 1.0)
    # The server counts exactly our two, and one more now in flight.
    clock.now = 2.0
    limiter.acquire()
    limiter.spent_by_server(3, 58)
    limiter.release()
    clock.now = 60.0
    assert limiter.delay() == 0.0


def test_a_reserve_above_a_limit_the_server_lowered_does_not_hold_a_request_for_ever() -> None:
    clock = Clock()
    limiter = WindowLimiter("w", 100, 60.0, clock)
    spent(limiter, clock, 0.0)
    # A reserve worked out for a limit of 100, then the server says 10.
    limiter.set_limit(10)
    assert limiter.delay(60) == 0.0


@pytest.mark.parametrize("sandbox", [limited("both")], indirect=True, ids=["both"])
def test_a_run_started_right_after_another_is_never_refused(sandbox: Sandbox) -> None:
    sandbox.store.advance_clock(120)  # past the withheld minute: every ticket is exported
    budget = sandbox.config.incremental_rpm
    # The first run ends having spent half the window's export budget. (All of it, and the
    # next run's first request is refused: nothing can tell it beforehand.)
    with ZendeskClient(settings_for(sandbox)) as client:
        for _ in range(budget // 2):
            client.get_json(TICKETS_CURSOR, params={"start_time": 0, "per_page": 20})
    # The second starts at once, three exports side by side, with a rate limiter that has
    # seen none of those requests.
    with ZendeskClient(settings_for(sandbox)) as client:
        run_together(
            export(client, TICKETS_CURSOR, "tickets"),
            export(client, USERS_CURSOR, "users"),
            export(client, TICKETS_CURSOR, "tickets"),
        )
    assert refused(sandbox) == []
