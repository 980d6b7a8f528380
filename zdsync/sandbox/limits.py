"""Zendesk's rate limits, enforced by the sandbox with Zendesk's headers and 429 bodies."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from zdsync.sandbox.config import SandboxConfig
from zdsync.sandbox.wire import Reply, error_reply, text_reply


class SlidingWindow:
    """At most ``limit`` requests in any ``window`` seconds, counted on arrival."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._arrivals: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self, enforce: bool) -> tuple[bool, int, float]:
        """Spend one request. Returns (allowed, remaining, seconds until a slot frees)."""
        with self._lock:
            now = time.monotonic()
            while self._arrivals and self._arrivals[0] <= now - self.window:
                self._arrivals.popleft()
            reset = self._arrivals[0] + self.window - now if self._arrivals else self.window
            if enforce and len(self._arrivals) >= self.limit:
                return False, 0, reset
            self._arrivals.append(now)
            return True, max(0, self.limit - len(self._arrivals)), reset


def _seconds(value: float) -> str:
    return str(max(1, math.ceil(value)))


class RateLimits:
    """The account, incremental-export and users-cursor limits of one sandbox account."""

    def __init__(self, config: SandboxConfig) -> None:
        window = config.window_seconds
        self.config = config
        self.enforce = config.rate_limits == "realistic"
        self.account = SlidingWindow(config.account_rpm, window)
        self.incremental = SlidingWindow(config.incremental_rpm, window)
        self.users_cursor = SlidingWindow(config.users_cursor_rpm, window)
        self.single_write = SlidingWindow(1, window / 60.0)
        self._per_user: dict[str, SlidingWindow] = {}
        self._lock = threading.Lock()

    def check(self, method: str, path: str, headers: dict[str, str]) -> Reply | None:
        """Spend this request's budget; a 429 reply when any limit is exhausted."""
        ok, remaining, reset = self.account.take(self.enforce)
        headers.update(
            {
                "X-Rate-Limit": str(self.config.account_rpm),
                "X-Rate-Limit-Remaining": str(remaining),
                "ratelimit-limit": str(self.config.account_rpm),
                "ratelimit-remaining": str(remaining),
                "ratelimit-reset": _seconds(reset),
            }
        )
        if not ok:
            return text_reply(
                429,
                "Number of allowed API requests per minute exceeded",
                **{"Retry-After": _seconds(reset)},
            )
        if path.startswith("/api/v2/incremental/"):
            return self._incremental(path, headers)
        return None

    def _incremental(self, path: str, headers: dict[str, str]) -> Reply | None:
        buckets = []
        if path.startswith("/api/v2/incremental/users/cursor"):
            buckets.append(("users_cursor", self.users_cursor))
            if self.config.users_cursor_uses_incremental_bucket:
                buckets.append(("incremental", self.incremental))
        else:
            buckets.append(("incremental", self.incremental))
        for name, bucket in buckets:
            ok, remaining, reset = bucket.take(self.enforce)
            if name == "users_cursor":
                headers["Zendesk-RateLimit-incremental-exports-cursor"] = (
                    f"total={bucket.limit}; remaining={remaining}; resets={_seconds(reset)}"
                )
            if not ok:
                return error_reply(
                    429,
                    "APIRateLimitExceeded",
                    "Number of allowed incremental export API requests per minute exceeded",
                    **{"Retry-After": _seconds(reset)},
                )
        return None

    def check_single_write(self, identity: str, headers: dict[str, str]) -> Reply | None:
        """``create_or_update``: 1 request a second per account, 5 a minute per user."""
        with self._lock:
            per_user = self._per_user.setdefault(
                identity.lower(), SlidingWindow(5, self.config.window_seconds)
            )
        ok, remaining, reset = self.single_write.take(self.enforce)
        headers["Zendesk-RateLimit-create-update-user"] = (
            f"total=1; remaining={remaining}; resets={_seconds(reset)}"
        )
        if not ok:
            return text_reply(
                429,
                "Number of allowed API requests per second exceeded",
                **{"Retry-After": _seconds(reset)},
            )
        ok, remaining, reset = per_user.take(self.enforce)
        if not ok:
            return text_reply(
                429,
                f"You have exceeded the rate limit for updating a single unique user. "
                f"user email: {identity}",
                **{"Retry-After": _seconds(reset)},
            )
        return None
