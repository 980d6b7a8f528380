"""Fault injection: a seeded random plan, plus one-shot faults queued by tests."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass

from zdsync.sandbox.wire import Reply, error_reply, text_reply

KINDS = ("429", "503", "500", "502", "504", "drop", "slow")


@dataclass(frozen=True)
class Fault:
    """One injected failure.

    ``arg`` is the Retry-After seconds for 429 and 503 (None: no header), and the delay in
    seconds for ``slow``.
    """

    kind: str
    arg: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; choose from {', '.join(KINDS)}")

    def reply(self) -> Reply | None:
        """The failing reply, or None for ``slow`` (which delays, then answers normally)."""
        if self.kind == "slow":
            time.sleep(self.arg or 1.0)
            return None
        if self.kind == "drop":
            return Reply(200, b'{"tickets":[{"id":', drop=True)
        headers = {} if self.arg is None else {"Retry-After": str(int(self.arg))}
        if self.kind == "429":
            return error_reply(
                429,
                "APIRateLimitExceeded",
                "Number of allowed API requests per minute exceeded",
                **headers,
            )
        if self.kind == "503":
            return text_reply(503, "Service Unavailable", **headers)
        return text_reply(int(self.kind), "Internal Server Error")


class FaultPlan:
    """Decides, per request under ``/api/v2/``, whether to fail it and how."""

    def __init__(self, spec: str | None = None, seed: int = 0) -> None:
        self._random = self.parse(spec)
        self._rng = random.Random(seed)
        self._queued: deque[tuple[str, Fault]] = deque()
        self._lock = threading.Lock()
        self.injected = 0

    @staticmethod
    def parse(spec: str | None) -> list[tuple[Fault, float]]:
        """``"429:2=0.05,503=0.02,drop=0.01,slow:1.5=0.01"``: kind[:arg]=probability, ..."""
        plan: list[tuple[Fault, float]] = []
        for part in filter(None, (p.strip() for p in (spec or "").split(","))):
            try:
                head, probability = part.split("=")
                kind, _, arg = head.partition(":")
                plan.append((Fault(kind, float(arg) if arg else None), float(probability)))
            except ValueError as exc:
                raise ValueError(f"bad fault spec {part!r}: {exc}") from None
        return plan

    def queue(self, fault: Fault, *, path_prefix: str = "/api/v2/", times: int = 1) -> None:
        """Fail the next ``times`` requests whose path starts with ``path_prefix``."""
        with self._lock:
            self._queued.extend((path_prefix, fault) for _ in range(times))

    def pick(self, path: str) -> Fault | None:
        with self._lock:
            for entry in self._queued:
                if path.startswith(entry[0]):
                    self._queued.remove(entry)
                    self.injected += 1
                    return entry[1]
            for fault, probability in self._random:
                if self._rng.random() < probability:
                    self.injected += 1
                    return fault
        return None
