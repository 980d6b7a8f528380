"""How a bulk push paces its job polls, and how it sends again a batch whose job failed whole.

Policies only, as ``PushOptions`` and the bulk sender (``jobs``) take them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resubmit:
    """How often, and after how long, a batch whose job failed as a whole is sent again.

    ``tries`` counts every job of the batch, the first included; the wait before try ``n + 1``
    is ``backoff_seconds * 2 ** (n - 1)``.
    """

    tries: int = 3
    backoff_seconds: float = 5.0


@dataclass(frozen=True)
class PollPolicy:
    """How polling paces itself: never more often than ``min_interval``."""

    min_interval: float = 0.1
    max_interval: float = 10.0
    # Until the first job finishes its latency is unknown; look at least this often. Every
    # second lost here is lost once per slot's first job.
    first_job_interval: float = 0.5


DEFAULT_POLL = PollPolicy()
DEFAULT_RESUBMIT = Resubmit()
