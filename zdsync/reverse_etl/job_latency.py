"""How long a bulk job takes, as recent polls bound it.

A poll that finds a job done says the job took at most its age at the poll; one that finds it
still running says it took longer. Polls timed by the shortest age yet seen find every later job
done at exactly that age, so that figure alone never tightens, and one late measurement would
hold back every later wave. The estimate therefore keeps both bounds from the recent polls only
(so it also follows jobs that slow down), and while they are further apart than a poll interval
it looks one interval early: if the jobs are not done, the next poll comes an interval later,
when they were due anyway, so the early look costs one poll, while a late estimate would cost
the same lateness in every wave after it.
"""

from __future__ import annotations

from collections import deque

# About two waves of jobs at the usual cap: enough to hold both bounds, few enough that the
# estimate follows a change in how long jobs take within a wave or two.
RECENT = 64


class JobLatency:
    """Recent bounds on how long a job takes from its POST until a poll can find it done."""

    def __init__(self, resolution: float, recent: int = RECENT) -> None:
        """Args:
        resolution: How far apart the bounds may be before polls stop aiming between them:
            the poll interval, since no closer look is possible.
        recent: How many of the latest observations the bounds come from.
        """
        self.resolution = resolution
        self._done_within: deque[float] = deque(maxlen=recent)
        self._running_after: deque[float] = deque(maxlen=recent)

    def done(self, age: float) -> None:
        """A poll found a job done ``age`` seconds after its POST."""
        self._done_within.append(age)

    def running(self, age: float) -> None:
        """A poll found a job still running ``age`` seconds after its POST."""
        self._running_after.append(age)

    def estimate(self) -> float | None:
        """The age at which to look for a job, or None before any job has been seen done."""
        if not self._done_within:
            return None
        upper = min(self._done_within)
        lower = max((age for age in self._running_after if age < upper), default=None)
        if lower is None or upper - lower <= self.resolution:
            return upper
        # One interval short of the upper bound: a poll that finds nothing is followed one
        # interval later, at the upper bound, so a wrong guess costs a poll, not lateness.
        return upper - self.resolution
