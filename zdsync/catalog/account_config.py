"""The account's configuration lists: groups, memberships, brands, forms, statuses, SLA
policies, business hours, tags, macros, automations, views and organization fields.

Each pages as Zendesk's OpenAPI file says: cursor pages where the endpoint offers them, one
answer where it offers no paging. Business hours are in Zendesk's API reference, not its
OpenAPI file.
"""

from __future__ import annotations

from zdsync.catalog.model import Operation, Paging, in_path


def _list(name: str, path: str, key: str, paging: Paging = Paging.CURSOR) -> Operation:
    return Operation(f"{name}.list", "GET", path, (), key, paging, sources=("oas",))


OPERATIONS = (
    _list("groups", "/api/v2/groups", "groups"),
    _list("group_memberships", "/api/v2/group_memberships", "group_memberships"),
    _list(
        "organization_memberships", "/api/v2/organization_memberships", "organization_memberships"
    ),
    _list("brands", "/api/v2/brands", "brands"),
    _list("ticket_forms", "/api/v2/ticket_forms", "ticket_forms", Paging.NONE),
    _list("custom_statuses", "/api/v2/custom_statuses", "custom_statuses", Paging.NONE),
    _list("sla_policies", "/api/v2/slas/policies", "sla_policies", Paging.NONE),
    _list("tags", "/api/v2/tags", "tags"),
    _list("macros", "/api/v2/macros", "macros"),
    _list("automations", "/api/v2/automations", "automations"),
    _list("views", "/api/v2/views", "views"),
    _list("organization_fields", "/api/v2/organization_fields", "organization_fields"),
    Operation(
        "schedules.list",
        "GET",
        "/api/v2/business_hours/schedules",
        (),
        "schedules",
        sources=("reference",),
    ),
    Operation(
        "schedule_holidays.list",
        "GET",
        "/api/v2/business_hours/schedules/{schedule_id}/holidays",
        (in_path("schedule_id"),),
        "holidays",
        sources=("reference",),
    ),
)
