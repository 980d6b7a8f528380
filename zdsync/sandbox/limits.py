"""Zendesk's rate limits, enforced by the sandbox with Zendesk's headers and 429 bodies.

Every window follows the clock it is given, the store's in a running sandbox: a test that
advances the store's clock moves the limits with it instead of sleeping.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from zdsync.sandbox.config import (
    INCREMENTAL_HEADER,
    PERMANENT_DELETION_HEADER,
    SEARCH_EXPORT_HEADER,
    SandboxConfig,
)
from zdsync.sandbox.wire import Reply, error_reply, text_reply

Clock = Callable[[], float]

USERS_CURSOR_PATH = "/api/v2/incremental/users/cursor"
SEARCH_EXPORT_PATH = "/api/v2/search/export"
USERS_CURSOR_HEADER = "Zendesk-RateLimit-incremental-exports-cursor"
SINGLE_WRITE_HEADER = "Zendesk-RateLimit-create-update-user"


class Spent(NamedTuple):
    """One request's draw on a window."""

    allowed: bool
    remaining: int
    reset: float


class SlidingWindow:
    """At most ``limit`` requests in any ``window`` seconds, counted on arrival."""

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._arrivals: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self, enforce: bool) -> Spent:
        """Spend one request, unless ``enforce`` and the window is full."""
        with self._lock:
            now = self._clock()
            while self._arrivals and self._arrivals[0] <= now - self.window:
                self._arrivals.popleft()
            reset = self._arrivals[0] + self.window - now if self._arrivals else self.window
            if enforce and len(self._arrivals) >= self.limit:
                return Spent(False, 0, reset)
            self._arrivals.append(now)
            return Spent(True, max(0, self.limit - len(self._arrivals)), reset)

    def report(self, spent: Spent) -> str:
        """The ``Zendesk-RateLimit-<name>`` value for a request that drew ``spent``."""
        return f"total={self.limit}; remaining={spent.remaining}; resets={_seconds(spent.reset)}"


def _seconds(value: float) -> str:
    return str(max(1, math.ceil(value)))


class RateLimits:
    """The account, incremental-export, users-cursor and search-export limits of one account."""

    def __init__(self, config: SandboxConfig, clock: Clock = time.monotonic) -> None:
        window = config.window_seconds
        self.config = config
        self.enforce = config.rate_limits == "realistic"
        self._clock = clock
        self.account = SlidingWindow(config.account_rpm, window, clock)
        self.incremental = SlidingWindow(config.incremental_rpm, window, clock)
        self.users_cursor = SlidingWindow(config.users_cursor_rpm, window, clock)
        self.search_export = SlidingWindow(config.search_export_rpm, window, clock)
        self.single_write = SlidingWindow(1, window / 60.0, clock)
        self.permanent_deletion = SlidingWindow(config.permanent_deletions, window * 10, clock)
        self.ticket_updates = SlidingWindow(config.ticket_updates_rpm, window, clock)
        self._per_record: dict[tuple[str, str], SlidingWindow] = {}
        self._per_user: dict[str, SlidingWindow] = {}
        self._lock = threading.Lock()

    def check(self, method: str, path: str, headers: dict[str, str]) -> Reply | None:
        """Spend this request's budget; a 429 reply when any limit is exhausted."""
        spent = self.account.take(self.enforce)
        headers.update(
            {
                "X-Rate-Limit": str(self.config.account_rpm),
                "X-Rate-Limit-Remaining": str(spent.remaining),
                "ratelimit-limit": str(self.config.account_rpm),
                "ratelimit-remaining": str(spent.remaining),
                "ratelimit-reset": _seconds(spent.reset),
            }
        )
        if not spent.allowed:
            return text_reply(
                429,
                "Number of allowed API requests per minute exceeded",
                **{"Retry-After": _seconds(spent.reset)},
            )
        if path.startswith("/api/v2/incremental/"):
            return self._incremental(path, headers)
        if method == "PUT":
            return self._record_update(path)
        if path.removesuffix(".json") == SEARCH_EXPORT_PATH:
            return self._search_export(headers)
        return None

    def _search_export(self, headers: dict[str, str]) -> Reply | None:
        spent = self.search_export.take(self.enforce)
        headers[SEARCH_EXPORT_HEADER] = self.search_export.report(spent)
        if spent.allowed:
            return None
        return error_reply(
            429,
            "APIRateLimitExceeded",
            "Number of allowed search export API requests per minute exceeded",
            **{"Retry-After": _seconds(spent.reset)},
        )

    def export_buckets(self, path: str) -> list[tuple[str, SlidingWindow]]:
        """The export limits a request to ``path`` spends, each with the header reporting it."""
        shared = (INCREMENTAL_HEADER, self.incremental)
        if not path.startswith(USERS_CURSOR_PATH):
            return [shared]
        own = (USERS_CURSOR_HEADER, self.users_cursor)
        return [shared, own] if self.config.users_cursor_budget == "both" else [own]

    def _incremental(self, path: str, headers: dict[str, str]) -> Reply | None:
        for header, bucket in self.export_buckets(path):
            spent = bucket.take(self.enforce)
            headers[header] = bucket.report(spent)
            if not spent.allowed:
                return error_reply(
                    429,
                    "APIRateLimitExceeded",
                    "Number of allowed incremental export API requests per minute exceeded",
                    **{"Retry-After": _seconds(spent.reset)},
                )
        return None

    def check_single_write(self, identity: str, headers: dict[str, str]) -> Reply | None:
        """``create_or_update``: 1 request a second per account, 5 a minute per user.

        Every answer, a refusal included, reports the account's bucket in ``headers``.
        """
        with self._lock:
            per_user = self._per_user.setdefault(
                identity.lower(), SlidingWindow(5, self.config.window_seconds, self._clock)
            )
        spent = self.single_write.take(self.enforce)
        headers[SINGLE_WRITE_HEADER] = self.single_write.report(spent)
        if not spent.allowed:
            return text_reply(
                429,
                "Number of allowed API requests per second exceeded",
                **headers,
                **{"Retry-After": _seconds(spent.reset)},
            )
        spent = per_user.take(self.enforce)
        if not spent.allowed:
            return text_reply(
                429,
                f"You have exceeded the rate limit for updating a single unique user. "
                f"user email: {identity}",
                **headers,
                **{"Retry-After": _seconds(spent.reset)},
            )
        return None

    def check_permanent_deletion(self, headers: dict[str, str]) -> Reply | None:
        """``DELETE /deleted_users/{id}``: 700 every ten minutes, reported in ``headers``."""
        spent = self.permanent_deletion.take(self.enforce)
        headers[PERMANENT_DELETION_HEADER] = self.permanent_deletion.report(spent)
        if spent.allowed:
            return None
        return error_reply(
            429,
            "APIRateLimitExceeded",
            "Number of allowed permanent user deletions per 10 minutes exceeded",
            **headers,
            **{"Retry-After": _seconds(spent.reset)},
        )

    def _record_update(self, path: str) -> Reply | None:
        """``PUT`` of one ticket (100 a minute, 30 every ten per ticket) or organization (5 a
        minute each)."""
        found = _UPDATES.fullmatch(path.removesuffix(".json"))
        if found is None:
            return None
        kind, record = found[1], found[2]
        windows = []
        if kind == "tickets":
            windows.append(self.ticket_updates)
            size, span = self.config.ticket_updates_per_ticket, self.config.window_seconds * 10
        else:
            size, span = self.config.organization_updates_per_organization, None
        with self._lock:
            windows.append(
                self._per_record.setdefault(
                    (kind, record),
                    SlidingWindow(size, span or self.config.window_seconds, self._clock),
                )
            )
        for window in windows:
            spent = window.take(self.enforce)
            if not spent.allowed:
                return error_reply(
                    429,
                    "APIRateLimitExceeded",
                    f"Number of allowed {kind} updates exceeded",
                    **{"Retry-After": _seconds(spent.reset)},
                )
        return None


_UPDATES = re.compile(r"/api/v2/(tickets|organizations)/(\d+)")
