"""The account's configuration lists, one ``Stream`` each, kept as snapshots (``snapshots.py``).

Zendesk offers no incremental form of these lists, so each run reads them whole (they are
small, and spend only the account budget); a list that did not change writes nothing, and rows
gone from one are kept and marked deleted. ``STREAMS`` in ``streams.py`` takes them in.
"""

from __future__ import annotations

from typing import Any

from pipelines.zendesk.config_columns import (
    BRAND_COLUMNS,
    CUSTOM_STATUS_COLUMNS,
    GROUP_COLUMNS,
    GROUP_MEMBERSHIP_COLUMNS,
    HOLIDAY_COLUMNS,
    ORGANIZATION_FIELD_COLUMNS,
    ORGANIZATION_MEMBERSHIP_COLUMNS,
    RULE_COLUMNS,
    SCHEDULE_COLUMNS,
    SLA_POLICY_COLUMNS,
    TAG_COLUMNS,
    TICKET_FORM_COLUMNS,
    TRIGGER_CATEGORY_COLUMNS,
    TRIGGER_COLUMNS,
)
from pipelines.zendesk.lists import EachOf, WholeList
from pipelines.zendesk.snapshots import SNAPSHOT_COLUMNS
from pipelines.zendesk.stream import Fetch, Stream
from pipelines.zendesk.time_zones import with_iana_time_zone
from zdsync import catalog
from zdsync.catalog import Paging


def settings_list(
    name: str,
    columns: dict[str, str],
    *,
    follows: str | None = None,
    primary_key: tuple[str, ...] = ("id",),
    **kind: Any,
) -> Stream:
    """The stream of the list ``<name>.list``, paged as its catalog operation says."""
    op = catalog.operation(f"{name}.list")
    fetch = WholeList(follows=follows, snapshot=True, paged=op.paging is Paging.CURSOR, **kind)
    return _stream(name, op, columns, fetch, primary_key)


def settings_list_of_each(name: str, columns: dict[str, str], parent: str, key: str) -> Stream:
    """The stream of ``<name>.list``, read for every record of the stream ``parent``."""
    op = catalog.operation(f"{name}.list")
    paged = op.paging is Paging.CURSOR
    fetch = EachOf(parent, parent_key=key, follows=parent, snapshot=True, paged=paged)
    return _stream(name, op, columns, fetch, ("id",))


def _stream(
    name: str, op: catalog.Operation, columns: dict[str, str], fetch: Fetch, key: tuple[str, ...]
) -> Stream:
    return Stream(
        name,
        op.path,
        {**columns, **SNAPSHOT_COLUMNS},
        fetch,
        key=str(op.response_key),
        primary_key=key,
    )


CONFIG_STREAMS: tuple[Stream, ...] = (
    settings_list("groups", GROUP_COLUMNS),
    settings_list("group_memberships", GROUP_MEMBERSHIP_COLUMNS),
    settings_list("organization_memberships", ORGANIZATION_MEMBERSHIP_COLUMNS),
    settings_list("brands", BRAND_COLUMNS),
    settings_list("ticket_forms", TICKET_FORM_COLUMNS),
    settings_list("custom_statuses", CUSTOM_STATUS_COLUMNS),
    settings_list("sla_policies", SLA_POLICY_COLUMNS),
    settings_list("schedules", SCHEDULE_COLUMNS, prepare=with_iana_time_zone),
    settings_list_of_each("schedule_holidays", HOLIDAY_COLUMNS, "schedules", "schedule_id"),
    settings_list("tags", TAG_COLUMNS, primary_key=("name",)),
    settings_list("macros", RULE_COLUMNS),
    settings_list("automations", RULE_COLUMNS),
    settings_list("views", RULE_COLUMNS),
    settings_list("triggers", TRIGGER_COLUMNS),
    settings_list("trigger_categories", TRIGGER_CATEGORY_COLUMNS),
    settings_list("organization_fields", ORGANIZATION_FIELD_COLUMNS),
)
