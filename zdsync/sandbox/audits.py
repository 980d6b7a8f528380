"""Every ticket's audits, kept in export order, and the audit each change to a ticket adds.

The store calls ``created`` and ``changed`` from its ticket methods, so a ticket changed by a
test, the control surface or a write endpoint gains its audit in the same step as its new
``updated_at``. A system-only touch (``generated_timestamp`` alone) adds none, as in Zendesk.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from zdsync.sandbox.activity import (
    SYSTEM_USER,
    AuditWriter,
    Ids,
    Step,
    epoch,
    generated_audits,
    tracked,
)
from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.metric_events import metric_events

if TYPE_CHECKING:
    from zdsync.sandbox.export_index import ExportIndex


class Audits:
    """The ticket event export's records, and who wrote which.

    Args:
        index: An empty export index ordered by each audit's ``timestamp``.
        metrics: An empty export index ordered by each metric event's ``time``.
        origin: The sandbox's base URL.
        seed: The dataset's seed; each ticket's history is drawn from it and the ticket's id.
    """

    def __init__(self, index: ExportIndex, metrics: ExportIndex, origin: str, seed: int) -> None:
        self.index = index
        self.metrics = metrics
        self.seed = seed
        self.writer = AuditWriter(Ids(), origin)
        self.by_ticket: dict[int, list[int]] = {}
        self.metrics_of: dict[int, set[int]] = {}
        self.agents: set[int] = set()

    def generate(self, tickets: Iterable[Record], agents: list[int]) -> None:
        """The histories of generated tickets, as if each had lived until its ``updated_at``."""
        self.agents = set(agents)
        with _collection_paused():
            self._generate(tickets, agents)

    def _generate(self, tickets: Iterable[Record], agents: list[int]) -> None:
        for ticket in tickets:
            for audit in generated_audits(ticket, agents, self.writer, self.seed):
                self._keep(audit, index=False)
            found = metric_events(ticket["id"], self.of_ticket(ticket["id"]), self.agents)
            self.metrics_of[ticket["id"]] = {event["id"] for event in found}
            for event in found:
                self.metrics.records[event["id"]] = event
                self.metrics.keys.append((self.metrics.stamp(event), event["id"]))
        self.index.keys.sort()
        self.metrics.keys.sort()

    def of_ticket(self, ticket_id: int) -> list[Record]:
        """A ticket's audits, oldest first."""
        records = self.index.records
        return [records[audit_id] for audit_id in self.by_ticket.get(ticket_id, [])]

    def created(self, ticket: Record, at: int, author: int | None, comment: Record | None) -> None:
        """The first audit of a new ticket; its description is the comment unless one is given."""
        comment = comment or {"body": ticket.get("description") or "", "public": True}
        step = Step(at, ticket["requester_id"] if author is None else author, comment=comment)
        step.channel = ticket["via"]["channel"]
        self._keep(self.writer.create(ticket, step))

    def changed(
        self,
        before: Record,
        after: Record,
        at: int,
        author: int | None,
        comment: Record | None,
    ) -> None:
        """The audit of a change from ``before`` to ``after``, if it changed or said anything."""
        old, new = tracked(before), tracked(after)
        changes: dict[str, Any] = {k: v for k, v in new.items() if old.get(k) != v}
        step = Step(at, SYSTEM_USER if author is None else author, changes, comment, "api")
        audit = self.writer.change(after["id"], old, step)
        if audit is not None:
            self._keep(audit)

    def _keep(self, audit: Record, *, index: bool = True) -> None:
        self.by_ticket.setdefault(audit["ticket_id"], []).append(audit["id"])
        if index:
            self.index.put(audit)
            self._measure(audit["ticket_id"])
        else:
            # Built in bulk and sorted once: an insort per audit is quadratic.
            self.index.records[audit["id"]] = audit
            self.index.keys.append((audit["timestamp"], audit["id"]))

    def _measure(self, ticket_id: int) -> None:
        """The ticket's metric events after a new audit: new ones added, changed ones (a
        breach its reply came in time for, now deleted) stored again, and any the audits no
        longer give removed."""
        found = {
            e["id"]: e for e in metric_events(ticket_id, self.of_ticket(ticket_id), self.agents)
        }
        known = self.metrics_of.setdefault(ticket_id, set())
        for event_id in known - found.keys():
            self.metrics.remove(event_id)
        for event_id, event in found.items():
            if self.metrics.records.get(event_id) != event:
                self.metrics.put(event)
        self.metrics_of[ticket_id] = set(found)


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: the audits are millions of small containers,
    all kept, and each collection would walk every one made so far for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def event_stamp(record: Record) -> int:
    return int(record["timestamp"])


def metric_stamp(record: Record) -> int:
    return epoch(record["time"])
