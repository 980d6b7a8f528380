"""Users: rows into ``users/create_or_update_many`` jobs, matched by Zendesk itself.

A row may name its organization by Zendesk id, or by the ``organization_external_id`` or
``organization_name`` an organization push gave it; those are resolved here, so a ``sync``
that pushes organizations first can name the ones it has just created.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from zdsync.client import ZendeskClient
from zdsync.client.errors import PermissionDeniedError
from zdsync.reverse_etl import lookup, matching, organization_lookup
from zdsync.reverse_etl import plan as planning
from zdsync.reverse_etl.bulk_request import BULK_PATH, BulkRequest, users_refusal, users_request
from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.validation import payload_hash, specs_from

BATCH_SIZE = 100


class Users:
    """The users adapter."""

    post_paths: tuple[str, ...] = (BULK_PATH,)

    def plan(
        self, client: ZendeskClient, rows: list[InputRow], on_duplicate: planning.OnDuplicate
    ) -> list[planning.PlannedRow]:
        specs = specs_from(lookup.user_field_definitions(client))
        planned = planning.validate(rows, specs, on_duplicate)
        resolve_organizations(client, planned)
        by_id = [item for item in planned if item.row.values.get("organization_id")]
        planning.check_organizations(by_id, lambda org: lookup.organization_exists(client, org))
        return planned

    def needs_match(self, item: planning.PlannedRow, every: bool) -> bool:
        # Zendesk refuses to create a user without a name: only nameless rows must be known.
        return every or not item.payload.get("name")

    def match(self, client: ZendeskClient, items: list[planning.PlannedRow], db: Path) -> None:
        matching.mark_existing(client, items, db)

    def apply_mode(self, planned: list[planning.PlannedRow], mode: planning.Mode) -> None:
        planning.apply_mode(planned, mode)

    def batches(self, to_send: list[planning.PlannedRow]) -> Iterator[list[planning.PlannedRow]]:
        for start in range(0, len(to_send), BATCH_SIZE):
            yield to_send[start : start + BATCH_SIZE]

    def request(self, batch: list[planning.PlannedRow]) -> BulkRequest:
        return users_request(batch)

    def refusal(self, exc: PermissionDeniedError) -> Exception:
        return users_refusal(exc)


def resolve_organizations(client: ZendeskClient, planned: list[planning.PlannedRow]) -> None:
    """Rows naming an organization by external id or name get its id, or a reason."""
    named = [
        item
        for item in planned
        if item.decision == "send"
        and (
            item.row.values.get("organization_external_id")
            or item.row.values.get("organization_name")
        )
    ]
    if not named:
        return
    found = organization_lookup.find(
        client,
        (v for i in named if (v := i.row.values.get("organization_external_id"))),
        (v for i in named if (v := i.row.values.get("organization_name"))),
    )
    for item in named:
        external_id = item.row.values.get("organization_external_id")
        name = item.row.values.get("organization_name")
        if external_id:
            org_id, what = (
                found.by_external_id.get(external_id.lower()),
                f"external id {external_id!r}",
            )
        else:
            org_id, what = found.by_name.get(str(name).lower()), f"name {name!r}"
        if org_id is None:
            item.invalid(f"no Zendesk organization has the {what}")
            continue
        item.payload["organization_id"] = org_id
        item.digest = payload_hash(item.payload)
