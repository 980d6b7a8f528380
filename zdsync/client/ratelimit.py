"""Client-side rate limiting, so a run spends its API budget without ever earning a 429.

Each Zendesk limit class (account-wide, incremental exports, the users cursor export, single-user
writes) gets one ``WindowLimiter`` shared by every thread of a run. A limiter allows at most
``limit`` requests in any ``window`` seconds. A request holds its slot from the moment it is sent
until its response has arrived, and the slot is stamped with that arrival time: the server saw the
request no later than that, so spacing arrivals a full window apart guarantees the server also
sees them a window apart, whatever the network latency did in between.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from zdsync.client.settings import RateLimitSettings

Clock = Callable[[], float]


class WindowLimiter:
    """At most ``limit`` requests in any ``window`` seconds, counted from response arrival."""

    def __init__(self, name: str, limit: int, window: float, clock: Clock = time.monotonic):
        self.name = name
        self.limit = limit
        self.window = window
        self._clock = clock
        self._done: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = 0.0
        self._cond = threading.Condition()
        self.waited_seconds = 0.0

    def acquire(self) -> None:
        """Block until a slot is free, then take it."""
        start = self._clock()
        with self._cond:
            while True:
                now = self._clock()
                delay = self._delay(now)
                if delay <= 0:
                    self._in_flight += 1
                    self.waited_seconds += now - start
                    return
                self._cond.wait(timeout=delay)

    def release(self) -> None:
        """Give the slot back, stamped with the time the response arrived."""
        with self._cond:
            self._in_flight -= 1
            self._done.append(self._clock())
            self._cond.notify_all()

    def pause(self, seconds: float) -> None:
        """Let no request through for ``seconds`` (a 429, or the server saying none are left)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def exhausted(self, seconds: float) -> None:
        """The server says no budget is left; pause unless our own count already agrees.

        Other tools on the same account spend the budget too, so when the server runs out before
        we think it should, believe the server.
        """
        with self._cond:
            now = self._clock()
            if self._delay(now) <= 0:
                self._paused_until = max(self._paused_until, now + seconds)

    def set_limit(self, limit: int) -> None:
        """Adopt the limit the server reports, when it is lower than configured."""
        with self._cond:
            if 0 < limit < self.limit:
                self.limit = limit

    def _delay(self, now: float) -> float:
        while self._done and self._done[0] <= now - self.window:
            self._done.popleft()
        if now < self._paused_until:
            return self._paused_until - now
        if len(self._done) + self._in_flight < self.limit:
            return 0.0
        if self._done:
            return self._done[0] + self.window - now
        # Every slot is in flight: wait for a release to notify us.
        return self.window


@dataclass(frozen=True)
class LimitRule:
    """Which requests a limiter governs, and the header Zendesk reports it in."""

    name: str
    path_pattern: re.Pattern[str]
    header: str | None = None
    method: str | None = None


_RULES = (
    LimitRule("account", re.compile(r"^/api/v2/")),
    LimitRule("incremental", re.compile(r"^/api/v2/incremental/(?!users/cursor)")),
    LimitRule(
        "users_cursor",
        re.compile(r"^/api/v2/incremental/users/cursor(\.json)?$"),
        header="zendesk-ratelimit-incremental-exports-cursor",
    ),
    LimitRule(
        "single_user_write",
        re.compile(r"^/api/v2/users/create_or_update(\.json)?$"),
        header="zendesk-ratelimit-create-update-user",
        method="POST",
    ),
)

_HEADER_FIELDS = re.compile(r"(total|remaining|resets)=(\d+)")


class RateLimiter:
    """The limiters of one run, chosen per request by path and adjusted from response headers."""

    def __init__(self, settings: RateLimitSettings, clock: Clock = time.monotonic) -> None:
        window = settings.window_seconds
        self.enabled = settings.enabled
        self.limiters = {
            "account": WindowLimiter("account", settings.account_per_window, window, clock),
            "incremental": WindowLimiter(
                "incremental", settings.incremental_per_window, window, clock
            ),
            "users_cursor": WindowLimiter(
                "users_cursor", settings.users_cursor_per_window, window, clock
            ),
            "single_user_write": WindowLimiter(
                "single_user_write",
                settings.single_user_write_per_second,
                window / 60.0,
                clock,
            ),
        }

    def for_request(self, method: str, path: str) -> list[WindowLimiter]:
        """The limiters a request must pass, scarcest first, so it never holds the account
        budget while it queues for a narrower one."""
        if not self.enabled:
            return []
        chosen = [
            self.limiters[rule.name]
            for rule in _RULES
            if rule.path_pattern.match(path) and rule.method in (None, method)
        ]
        return sorted(chosen, key=lambda limiter: limiter.limit)

    @property
    def waited_seconds(self) -> float:
        return sum(limiter.waited_seconds for limiter in self.limiters.values())

    def observe(self, limiters: Iterable[WindowLimiter], headers: Mapping[str, str]) -> None:
        """Learn from the headers Zendesk sends back with every response."""
        account = self.limiters["account"]
        if account in limiters:
            _adjust(
                account,
                headers.get("x-rate-limit"),
                headers.get("x-rate-limit-remaining"),
                headers.get("ratelimit-reset"),
            )
        for rule in _RULES:
            value = headers.get(rule.header) if rule.header else None
            if value:
                fields = dict(_HEADER_FIELDS.findall(value))
                _adjust(
                    self.limiters[rule.name],
                    fields.get("total"),
                    fields.get("remaining"),
                    fields.get("resets"),
                )


def _adjust(
    limiter: WindowLimiter, total: str | None, remaining: str | None, resets: str | None
) -> None:
    if total and total.isdigit():
        limiter.set_limit(int(total))
    if remaining is not None and remaining.strip() == "0":
        limiter.exhausted(float(resets) if resets and resets.isdigit() else limiter.window)
