"""Client-side rate limiting, so a run spends its API budget without ever earning a 429.

Each Zendesk limit (a bucket: account-wide, the budget all incremental exports share, the users
cursor export's own, the search export's, single-user writes, permanent deletions, ticket and
organization updates) gets one ``WindowLimiter`` shared by every thread of a run; a limit Zendesk
keeps per record (5 updates a minute per organization) gets one per record. A limiter allows at
most ``limit`` requests in any ``window`` seconds. A request holds its slot from the moment it is
sent until its response has arrived, and the slot is stamped with that arrival time: the server
saw the request no later than that, so spacing arrivals a full window apart guarantees the server
also sees them a window apart, whatever the network latency did in between.

The buckets are declared once, in ``BUCKETS`` (``zdsync.client.buckets``); which requests spend
each is read from the operations catalog (``zdsync.catalog``), where every operation names its
buckets. Responses tighten them: the account headers (``X-Rate-Limit``, ``ratelimit-*``) and
every ``Zendesk-RateLimit-<name>: total=..; remaining=..; resets=..`` header lower a bucket to
the ``total`` the server reports, and pause it for ``resets`` seconds when ``remaining`` is 0. A
name the table does not know becomes a bucket learned at run time, sized from ``total``, for the
endpoint it arrived on.

A run is not alone on its account: the run before it may have just spent most of a window, and
other tools spend the same budgets. So a bucket lets one request through before it has heard
from the server, and what ``total - remaining`` counts beyond this run's own requests holds
slots too. A window spent to the last request before a run starts still costs that run one 429
(and its ``Retry-After``): nothing says so before the first answer.

Zendesk documents the users cursor export's own limit and the budget every incremental export
shares, but not whether one request spends both. The client assumes it does until the responses
show otherwise: the server reports the shared budget on some responses, and a users cursor
response reports its own budget without the shared one. Against a server that never reports the
shared budget the client stays on the safe side.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import NamedTuple

from zdsync.client.buckets import (
    ACCOUNT,
    ACCOUNT_HEADER,
    BUCKETS,
    BY_HEADER,
    BY_NAME,
    LEARNED,
    Bucket,
)
from zdsync.client.settings import RateLimitSettings
from zdsync.client.stats import endpoint_of

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
        # Requests the server counted in its window that this run did not send: an earlier
        # run's, or another tool's, stamped when the server told of them.
        self._foreign: deque[float] = deque()
        # Until a first response has arrived, the server's count is unknown (a run started
        # right after another finds most of the window spent), so requests go one at a time.
        self._heard = False
        self._cond = threading.Condition()
        self.waited_seconds = 0.0

    def acquire(self, reserve: int = 0) -> None:
        """Block until a slot is free, leaving ``reserve`` slots unused, then take it."""
        start = self._clock()
        with self._cond:
            while True:
                now = self._clock()
                delay = self._delay(now, reserve)
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
            self._heard = True
            self._cond.notify_all()

    def delay(self, reserve: int = 0) -> float:
        """Seconds until ``acquire(reserve)`` would pass; 0 when it would now."""
        with self._cond:
            return max(0.0, self._delay(self._clock(), reserve))

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
            # No delay of our own means no pause in force, so this one replaces nothing longer.
            if self._delay(now, 0) <= 0:
                self._paused_until = now + seconds

    def spent_by_server(self, spent: int, resets: int | None) -> None:
        """The server counts ``spent`` requests in its window, the one it answered included,
        and the first of them leaves it in ``resets`` seconds.

        What it counts beyond the requests this run has sent in the window was sent by others.
        The server does not say when, and a guess too early earns 429s, so they are taken to
        have been sent just now and hold their slots a whole window; all but the first, when
        the one leaving in ``resets`` seconds cannot be one of ours.
        """
        with self._cond:
            now = self._clock()
            self._forget_before(now - self.window)
            unknown = spent - len(self._done) - self._in_flight - len(self._foreign)
            if unknown <= 0:
                return
            stamps = [now] * unknown
            ours_leave = self._done[0] + self.window - now if self._done else float("inf")
            # Resets are whole seconds, rounded up: one second apart, the first is not ours.
            if resets is not None and resets + 1 < ours_leave:
                stamps[0] = now + resets - self.window
            self._foreign = deque(sorted([*self._foreign, *stamps]))

    def set_limit(self, limit: int) -> None:
        """Adopt the limit the server reports, when it is lower than configured."""
        with self._cond:
            if 0 < limit < self.limit:
                self.limit = limit

    def _forget_before(self, moment: float) -> None:
        """Drop the requests that left the window by ``moment``."""
        for stamps in (self._done, self._foreign):
            while stamps and stamps[0] <= moment:
                stamps.popleft()

    def _delay(self, now: float, reserve: int) -> float:
        self._forget_before(now - self.window)
        if now < self._paused_until:
            return self._paused_until - now
        if not self._heard and self._in_flight:
            return self.window
        # A reserve is worked out before the request waits here, from the limit then; the server
        # may have lowered the limit since, below the reserve, which would hold it for ever.
        if reserve >= self.limit:
            reserve = self.limit // 2
        finished = sorted((*self._done, *self._foreign)) if self._foreign else self._done
        used = len(finished) + self._in_flight
        if used < self.limit - reserve:
            return 0.0
        if used - self.limit + reserve < len(finished):
            # The slot we need frees when enough of the finished requests leave the window.
            return finished[used - self.limit + reserve] + self.window - now
        # Every slot we could use is in flight: wait for a release to notify us.
        return self.window


_PREFIX = "zendesk-ratelimit-"
# A cap on queued background jobs, not a rate: the reverse ETL reads it.
_NOT_RATES = frozenset({"zendesk-ratelimit-inflight-jobs"})
# The account-wide limit is reported in two header families; either will do.
_ACCOUNT_FIELDS = {
    "total": ("x-rate-limit", "ratelimit-limit"),
    "remaining": ("x-rate-limit-remaining", "ratelimit-remaining"),
    "resets": ("ratelimit-reset",),
}
_FIELDS = re.compile(r"(total|remaining|resets)=(\d+)")


class Report(NamedTuple):
    """What one header says of its bucket; a field the header left out is None."""

    total: int | None
    remaining: int | None
    resets: int | None


def reports(headers: Mapping[str, str]) -> dict[str, Report]:
    """Every bucket a response reports on, keyed by the (lower-case) header that reports it."""
    lowered = {name.lower(): value for name, value in headers.items()}
    found: dict[str, Report] = {}
    account = {
        field: next((_int(lowered.get(name)) for name in names if name in lowered), None)
        for field, names in _ACCOUNT_FIELDS.items()
    }
    if account["total"] is not None or account["remaining"] is not None:
        found[ACCOUNT_HEADER] = Report(**account)
    for name, value in lowered.items():
        if name.startswith(_PREFIX) and name not in _NOT_RATES:
            fields = dict(_FIELDS.findall(value))
            found[name] = Report(*(_int(fields.get(key)) for key in Report._fields))
    return found


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


class Slot(NamedTuple):
    """A limiter a request must pass, and the slots it must leave free for others."""

    limiter: WindowLimiter
    reserve: int = 0


class RateLimiter:
    """The limiters of one run, chosen per request by path and adjusted from response headers.

    Requests that spend only the account budget leave room in it for a window of every
    narrower bucket, so a burst of list requests never holds back an export, whose own budget
    is far scarcer.
    """

    def __init__(self, settings: RateLimitSettings, clock: Clock = time.monotonic) -> None:
        self.enabled = settings.enabled
        self._window = settings.window_seconds
        self._clock = clock
        self._settings = settings
        self.limiters = {
            bucket.name: self._new_limiter(bucket, bucket.name)
            for bucket in BUCKETS
            if bucket.per is None
        }
        # Limiters reported on endpoints the table does not give them, by (method, endpoint).
        self._learned: dict[tuple[str, str], set[str]] = {}
        self._reported: set[str] = set()
        self._shown_unspent: set[str] = set()
        self._lock = threading.Lock()

    def for_request(self, method: str, path: str) -> list[Slot]:
        """The limiters a request must pass, scarcest first, so it never holds the account
        budget while it queues for a narrower one."""
        if not self.enabled:
            return []
        with self._lock:
            names = {
                self._limiter_for(bucket, method, path)
                for bucket in BUCKETS
                if bucket.governs(method, path) or self._assumes(bucket, method, path)
            }
            names |= self._learned.get((method, endpoint_of(path)), set())
            chosen = sorted((self.limiters[name] for name in names), key=lambda lim: lim.limit)
            if [limiter.name for limiter in chosen] == [ACCOUNT]:
                return [Slot(chosen[0], self._reserve())]
        return [Slot(limiter) for limiter in chosen]

    def _new_limiter(self, bucket: Bucket, name: str) -> WindowLimiter:
        window = self._window * bucket.window_share
        return WindowLimiter(name, bucket.size(self._settings), window, self._clock)

    def _limiter_for(self, bucket: Bucket, method: str, path: str) -> str:
        """The limiter's name, made on first use for a per-record bucket's record."""
        name = bucket.limiter_name(method, path)
        if name not in self.limiters:
            self.limiters[name] = self._new_limiter(bucket, name)
        return name

    def buckets_for(self, method: str, path: str) -> list[str]:
        """The names of the limiters ``for_request`` would choose."""
        return [slot.limiter.name for slot in self.for_request(method, path)]

    @property
    def waited_seconds(self) -> float:
        with self._lock:
            return sum(limiter.waited_seconds for limiter in self.limiters.values())

    def observe(self, method: str, path: str, status: int, headers: Mapping[str, str]) -> None:
        """Learn from the headers a response carries."""
        found = reports(headers)
        with self._lock:
            self._reported.update(found)
            adjusted = [
                (self._limiter_in(header, report, method, path), report)
                for header, report in found.items()
            ]
            if status < 400:
                self._weigh_assumptions(method, path, found)
        for limiter, report in adjusted:
            if limiter is not None:
                _adjust(limiter, report)

    def _assumes(self, bucket: Bucket, method: str, path: str) -> bool:
        return bucket.assumes(path, method) and bucket.name not in self._shown_unspent

    def _limiter_in(
        self, header: str, report: Report, method: str, path: str
    ) -> WindowLimiter | None:
        """The limiter ``header`` reports on, learned if new, and noted for this endpoint."""
        bucket = BY_HEADER.get(header)
        if bucket is not None and bucket.covers(method, path):
            return self.limiters[self._limiter_for(bucket, method, path)]
        name = bucket.name if bucket is not None else header.removeprefix(_PREFIX)
        if name not in self.limiters:
            if not report.total:
                return None
            self.limiters[name] = WindowLimiter(name, report.total, self._window, self._clock)
        self._learned.setdefault((method, endpoint_of(path)), set()).add(name)
        return self.limiters[name]

    def _weigh_assumptions(self, method: str, path: str, found: Mapping[str, Report]) -> None:
        """A response that reports an assumed bucket shows the request spends it; one that
        reports the request's own buckets but not the assumed one, from a server seen to report
        it elsewhere, shows it does not."""
        own = {bucket.header for bucket in BUCKETS if bucket.governs(method, path)}
        for bucket in BUCKETS:
            if not bucket.assumes(path, method):
                continue
            if bucket.header in found:
                self._shown_unspent.discard(bucket.name)
            elif bucket.header in self._reported and own & (found.keys() - {ACCOUNT_HEADER}):
                self._shown_unspent.add(bucket.name)

    def _reserve(self) -> int:
        account = self.limiters[ACCOUNT]
        # Writes and the search export are rare beside the exports; no room is kept for them.
        narrower = sum(
            limiter.limit * account.window / limiter.window
            for limiter in self.limiters.values()
            if limiter is not account and _reserved(limiter.name)
        )
        return min(int(narrower), account.limit // 2)


def _reserved(limiter_name: str) -> bool:
    return BY_NAME.get(limiter_name.partition(":")[0], LEARNED).reserved


def _adjust(limiter: WindowLimiter, report: Report) -> None:
    if report.total:
        limiter.set_limit(report.total)
        if report.remaining is not None:
            limiter.spent_by_server(report.total - report.remaining, report.resets)
    if report.remaining == 0:
        limiter.exhausted(float(report.resets) if report.resets else limiter.window)
