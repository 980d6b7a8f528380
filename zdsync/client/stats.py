"""Counts of every request a run made, by endpoint and outcome, for run summaries."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field

# An id, or the placeholder a path template names it by (``{user_id}``).
_ID_SEGMENT = re.compile(r"/(\d+|V3-[0-9a-f]{32}|[0-9a-f]{32}|\{\w+\})(?=/|$)")


def endpoint_of(path: str) -> str:
    """Collapse ids so requests group by endpoint.

    ``/api/v2/users/7/x.json`` becomes ``/api/v2/users/{id}/x``, and so does the template
    ``/api/v2/users/{user_id}/x`` a stream declares.
    """
    path = path.removesuffix(".json")
    return _ID_SEGMENT.sub("/{id}", path)


@dataclass
class RequestStats:
    """Thread-safe tallies. ``status`` is the HTTP status, or ``"error"`` when none arrived."""

    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # Zendesk's ``error`` codes, by endpoint: a status alone does not tell TooManyJobs from an
    # ordinary 429.
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, path: str, status: int | None) -> None:
        key = (method, endpoint_of(path), "error" if status is None else str(status))
        with self._lock:
            self.counts[key] += 1

    def record_code(self, path: str, code: str) -> None:
        with self._lock:
            self.codes[(endpoint_of(path), code)] += 1

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count_code(self, code: str, *, endpoint: str | None = None) -> int:
        """Error answers that carried this ``error`` code, optionally on one endpoint."""
        with self._lock:
            codes = list(self.codes.items())
        return sum(
            n for (ep, found), n in codes if found == code and (endpoint is None or ep == endpoint)
        )

    def rate_limited(self, *, endpoint: str | None = None) -> int:
        """Answers that said to slow down (429), TooManyJobs refusals not among them."""
        return self.count(status=429, endpoint=endpoint) - self.too_many_jobs(endpoint=endpoint)

    def too_many_jobs(self, *, endpoint: str | None = None) -> int:
        """Answers refusing a background job: the account's queue of jobs was full."""
        return self.count_code("TooManyJobs", endpoint=endpoint)

    def server_errors(self) -> int:
        """Answers in which Zendesk failed (5xx)."""
        return sum(n for (_, _, status), n in self.counts.items() if status.startswith("5"))

    def count(
        self,
        *,
        status: int | str | None = None,
        endpoint: str | None = None,
        method: str | None = None,
    ) -> int:
        """Requests matching a status, an endpoint template and/or a method."""
        # Read while requests are still being counted, by a progress display.
        with self._lock:
            counts = list(self.counts.items())
        return sum(
            n
            for (m, ep, st), n in counts
            if (status is None or st == str(status))
            and (endpoint is None or ep == endpoint)
            and (method is None or m == method)
        )
