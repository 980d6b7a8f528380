"""A thread that finishes the sandbox's bulk jobs as they come due.

Job state is otherwise settled on every request; in Zendesk a job's work is done by the time it
completes, so the poll that finds jobs done should not wait while their rows are written. The
thread runs while jobs are in flight and ends when none is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

# A test may move the store's clock: the thread looks again at least this often.
LOOK_AGAIN_SECONDS = 1.0


class DueJobs:
    """Calls ``settle`` whenever ``next_due()`` (on ``now``'s clock) has come, until it is None.

    ``changed`` is the jobs' condition: it guards the jobs and is notified when they change.
    """

    def __init__(
        self,
        changed: threading.Condition,
        next_due: Callable[[], float | None],
        now: Callable[[], float],
        settle: Callable[[], None],
    ) -> None:
        self._changed = changed
        self._next_due = next_due
        self._now = now
        self._settle = settle
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Start the thread if it is not running; call with ``changed`` held."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sandbox-jobs", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._changed:
                due = self._next_due()
                if due is None:
                    self._thread = None
                    return
                wait = due - self._now()
                if wait > 0:
                    self._changed.wait(min(wait, LOOK_AGAIN_SECONDS))
                    continue
            self._settle()
