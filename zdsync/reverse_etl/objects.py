"""The objects a push can write, declared once: the CLI, the flows, the ledger and the models
derive their lists from ``OBJECTS``.

Each object is an adapter (``Adapter``: how rows become payloads, how they are matched to
Zendesk's records, which bulk request sends a batch) and the shape of its sync log. Every
object goes through the same plan, diff, send, reconcile and log path (``push``). ``OBJECTS``
is in dependency order: a later object may name records an earlier one writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from zdsync.client import ZendeskClient
from zdsync.client.errors import PermissionDeniedError
from zdsync.reverse_etl.bulk_request import BulkRequest
from zdsync.reverse_etl.identities import Identities
from zdsync.reverse_etl.organizations import Organizations
from zdsync.reverse_etl.plan import Mode, OnDuplicate, PlannedRow
from zdsync.reverse_etl.reconcile import RowOutcome
from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.tickets import Tickets
from zdsync.reverse_etl.users import Users


class Adapter(Protocol):
    """What one object adds to the shared push path."""

    post_paths: tuple[str, ...]

    def plan(
        self, client: ZendeskClient, rows: list[InputRow], on_duplicate: OnDuplicate
    ) -> list[PlannedRow]:
        """Validate every row (payload, identity, digest) against what Zendesk defines."""

    def needs_match(self, item: PlannedRow, every: bool) -> bool:
        """Whether ``item``'s Zendesk record must be known before sending (``every``: the
        mode or the dry run needs every row's)."""

    def match(self, client: ZendeskClient, items: list[PlannedRow], db: Path) -> None:
        """Set ``exists`` and ``zendesk_id`` on ``items``."""

    def apply_mode(self, planned: list[PlannedRow], mode: Mode) -> None:
        """Refuse rows the mode forbids or that cannot create what they name."""

    def batches(self, to_send: list[PlannedRow]) -> Iterator[list[PlannedRow]]:
        """The rows to send, in batches one bulk request each."""

    def request(self, batch: list[PlannedRow]) -> BulkRequest:
        """The bulk request of one batch."""

    def refusal(self, exc: PermissionDeniedError) -> Exception:
        """What a 403 on this object's bulk writes means, to stop the run with."""


@runtime_checkable
class OneByOne(Adapter, Protocol):
    """An adapter whose object has no bulk write: rows go one request (or two) each."""

    def send_one(self, client: ZendeskClient, item: PlannedRow) -> RowOutcome:
        """Write one row; a refusal of the row is its outcome, one of the run is raised."""

    def mirror(
        self, client: ZendeskClient, planned: list[PlannedRow], db: Path
    ) -> list[RowOutcome]:
        """Delete what Zendesk holds that no row names (``--mirror``)."""


@dataclass(frozen=True)
class SyncObject:
    """One object a push writes.

    Attributes:
        name: As the CLI and the flows name it (``zdsync push organizations``).
        noun: One of them; the ledger's tables are ``<noun>_sync_state`` and ``<noun>_sync_log``.
        log_keys: Log column and the input column it copies, the row's keys a user searches by.
        id_column: The log's column for the Zendesk record's id.
        adapter: Builds the object's adapter.
    """

    name: str
    noun: str
    log_keys: tuple[tuple[str, str], ...]
    id_column: str
    adapter: Callable[[], Adapter]

    @property
    def log_table(self) -> str:
        return f"{self.noun}_sync_log"

    @property
    def state_table(self) -> str:
        return f"{self.noun}_sync_state"


OBJECTS: dict[str, SyncObject] = {
    o.name: o
    for o in (
        SyncObject(
            "organizations",
            "organization",
            (("external_id", "external_id"), ("name", "name")),
            "zendesk_id",
            Organizations,
        ),
        SyncObject(
            "users",
            "user",
            (("external_id", "external_id"), ("email", "email")),
            "zendesk_user_id",
            Users,
        ),
        SyncObject(
            "identities",
            "identity",
            (
                ("user_external_id", "user_external_id"),
                ("user_email", "user_email"),
                ("type", "type"),
                ("value", "value"),
            ),
            "zendesk_id",
            Identities,
        ),
        SyncObject(
            "tickets",
            "ticket",
            (("ticket_id", "id"), ("external_id", "external_id")),
            "zendesk_id",
            Tickets,
        ),
    )
}
