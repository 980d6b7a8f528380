"""Organizations: rows into ``organizations/create_many`` and ``update_many`` jobs.

Zendesk has no bulk create-or-update for organizations, so every row is matched first, on
external id, then on name (both ignoring case, as Zendesk keeps them unique), and goes into a
create batch or an update batch (by id). Columns: ``external_id``, ``name``, ``domain_names``,
``details``, ``notes``, ``group_id``, ``shared_tickets``, ``shared_comments``, ``tags`` and
``organization_fields.<key>``, checked against ``GET /api/v2/organization_fields``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zdsync import catalog
from zdsync.client import CursorList, ZendeskClient
from zdsync.client.errors import PermissionDeniedError
from zdsync.errors import BulkWriteNotAllowedError
from zdsync.reverse_etl import organization_lookup
from zdsync.reverse_etl import plan as planning
from zdsync.reverse_etl.bulk_request import BulkRequest
from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.validation import (
    Invalid,
    UserFieldSpec,
    checkbox,
    field_value,
    integer,
    specs_from,
    tag_list,
)

CREATE_PATH = catalog.operation("organizations.create_many").path
UPDATE_PATH = catalog.operation("organizations.update_many").path
FIELDS_PATH = catalog.operation("organization_fields.list").path
TEXT = ("external_id", "name", "details", "notes")
FLAGS = ("shared_tickets", "shared_comments")
COLUMNS = (*TEXT, "domain_names", "group_id", *FLAGS, "tags")
FIELD_PREFIX = "organization_fields."
KEYS = ("external_id", "name")
BATCH_SIZE = 100


def identity_of(row: InputRow) -> str:
    """External id, else name, lower-cased: what Zendesk matches an organization on."""
    for key in KEYS:
        value = row.values.get(key)
        if value:
            return f"{key}:{value.lower()}"
    raise Invalid("no external_id or name to match the organization on")


def payload_of(row: InputRow, specs: dict[str, UserFieldSpec]) -> dict[str, Any]:
    """The organization object to send; raises ``Invalid`` with the reason."""
    values = row.values
    unknown = [k for k in values if k not in COLUMNS and not k.startswith(FIELD_PREFIX)]
    if [k for k in unknown if values[k]]:
        named = ", ".join(sorted(k for k in unknown if values[k]))
        raise Invalid(f"unknown columns: {named} (map them or drop them)")
    identity_of(row)
    payload: dict[str, Any] = {k: values[k] for k in TEXT if values.get(k)}
    if values.get("domain_names"):
        payload["domain_names"] = tag_list(values["domain_names"])
    if values.get("group_id"):
        payload["group_id"] = integer("group_id", values["group_id"] or "")
    for flag in FLAGS:
        if values.get(flag):
            payload[flag] = checkbox(flag, values[flag] or "")
    if values.get("tags"):
        payload["tags"] = tag_list(values["tags"])
    fields = _fields(values, specs)
    if fields:
        payload["organization_fields"] = fields
    return payload


def _fields(values: dict[str, str | None], specs: dict[str, UserFieldSpec]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for column, raw in values.items():
        if not column.startswith(FIELD_PREFIX) or raw is None:
            continue
        key = column.removeprefix(FIELD_PREFIX)
        spec = specs.get(key)
        if spec is None:
            raise Invalid(f"organization field {key!r} does not exist in Zendesk")
        fields[key] = field_value(spec, raw)
    return fields


def field_definitions(client: ZendeskClient) -> list[dict[str, Any]]:
    """Every organization field definition."""
    pages = client.paginate(CursorList(FIELDS_PATH, "organization_fields"))
    return [definition for page in pages for definition in page.items]


class Organizations:
    """The organizations adapter."""

    post_paths: tuple[str, ...] = (CREATE_PATH, UPDATE_PATH)

    def plan(
        self, client: ZendeskClient, rows: list[InputRow], on_duplicate: planning.OnDuplicate
    ) -> list[planning.PlannedRow]:
        specs = specs_from(field_definitions(client))
        return planning.validate_with(
            rows,
            lambda row: payload_of(row, specs),
            identity_of,
            KEYS,
            on_duplicate,
            "organization",
        )

    def needs_match(self, item: planning.PlannedRow, every: bool) -> bool:
        # Creates and updates go to different endpoints, so every row's match decides.
        return True

    def match(self, client: ZendeskClient, items: list[planning.PlannedRow], db: Path) -> None:
        found = organization_lookup.find(
            client,
            (str(i.payload["external_id"]) for i in items if i.payload.get("external_id")),
            (str(i.payload["name"]) for i in items if i.payload.get("name")),
        )
        for item in items:
            external_id = str(item.payload.get("external_id") or "").lower()
            name = str(item.payload.get("name") or "").lower()
            org_id = found.by_external_id.get(external_id) or found.by_name.get(name)
            item.exists, item.zendesk_id = org_id is not None, org_id

    def apply_mode(self, planned: list[planning.PlannedRow], mode: planning.Mode) -> None:
        planning.apply_mode(planned, mode, "organization", article="an")

    def batches(self, to_send: list[planning.PlannedRow]) -> Iterator[list[planning.PlannedRow]]:
        for exists in (False, True):
            same = [item for item in to_send if bool(item.exists) is exists]
            for start in range(0, len(same), BATCH_SIZE):
                yield same[start : start + BATCH_SIZE]

    def request(self, batch: list[planning.PlannedRow]) -> BulkRequest:
        if batch[0].exists:
            updates = [{"id": item.zendesk_id, **item.payload} for item in batch]
            return BulkRequest("PUT", UPDATE_PATH, {"organizations": updates})
        return BulkRequest("POST", CREATE_PATH, {"organizations": [i.payload for i in batch]})

    def refusal(self, exc: PermissionDeniedError) -> Exception:
        return BulkWriteNotAllowedError(
            "these Zendesk credentials may not create or update organizations: use an admin's, "
            f"or those of an agent whose role may manage organizations; Zendesk answered {exc}"
        )
