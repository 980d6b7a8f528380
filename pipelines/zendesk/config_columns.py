"""The columns of the account's configuration lists, as DuckDB types, in table order.

Definitions (actions, conditions, filters, intervals) are JSON columns, as nested values are
everywhere else (``columns.py``). Each table also gets ``snapshots.SNAPSHOT_COLUMNS``.
"""

from pipelines.zendesk.columns import FIELD_COLUMNS

_STAMPS = {"created_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ"}

GROUP_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "name": "VARCHAR",
    "description": "VARCHAR",
    "default": "BOOLEAN",
    "deleted": "BOOLEAN",
    "is_public": "BOOLEAN",
    **_STAMPS,
}

GROUP_MEMBERSHIP_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "user_id": "BIGINT",
    "group_id": "BIGINT",
    "default": "BOOLEAN",
    **_STAMPS,
}

ORGANIZATION_MEMBERSHIP_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "user_id": "BIGINT",
    "organization_id": "BIGINT",
    "organization_name": "VARCHAR",
    "default": "BOOLEAN",
    "view_tickets": "BOOLEAN",
    **_STAMPS,
}

BRAND_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "name": "VARCHAR",
    "brand_url": "VARCHAR",
    "subdomain": "VARCHAR",
    "host_mapping": "VARCHAR",
    "has_help_center": "BOOLEAN",
    "help_center_state": "VARCHAR",
    "active": "BOOLEAN",
    "default": "BOOLEAN",
    "signature_template": "VARCHAR",
    "ticket_form_ids": "JSON",
    **_STAMPS,
}

TICKET_FORM_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "name": "VARCHAR",
    "display_name": "VARCHAR",
    "position": "BIGINT",
    "active": "BOOLEAN",
    "default": "BOOLEAN",
    "end_user_visible": "BOOLEAN",
    "in_all_brands": "BOOLEAN",
    "restricted_brand_ids": "JSON",
    "ticket_field_ids": "JSON",
    "agent_conditions": "JSON",
    "end_user_conditions": "JSON",
    **_STAMPS,
}

CUSTOM_STATUS_COLUMNS = {
    "id": "BIGINT",
    "status_category": "VARCHAR",
    "agent_label": "VARCHAR",
    "end_user_label": "VARCHAR",
    "description": "VARCHAR",
    "end_user_description": "VARCHAR",
    "active": "BOOLEAN",
    "default": "BOOLEAN",
    **_STAMPS,
}

SLA_POLICY_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "title": "VARCHAR",
    "description": "VARCHAR",
    "position": "BIGINT",
    "filter": "JSON",
    "policy_metrics": "JSON",
    **_STAMPS,
}

SCHEDULE_COLUMNS = {
    "id": "BIGINT",
    "name": "VARCHAR",
    "time_zone": "VARCHAR",
    "iana_time_zone": "VARCHAR",
    "intervals": "JSON",
    **_STAMPS,
}

HOLIDAY_COLUMNS = {
    "id": "BIGINT",
    "schedule_id": "BIGINT",
    "name": "VARCHAR",
    "start_date": "DATE",
    "end_date": "DATE",
}

TAG_COLUMNS = {"name": "VARCHAR", "count": "BIGINT"}

# Macros, automations, views (and triggers): a title, an order, and a definition.
RULE_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "title": "VARCHAR",
    "description": "VARCHAR",
    "active": "BOOLEAN",
    "default": "BOOLEAN",
    "position": "BIGINT",
    "conditions": "JSON",
    "actions": "JSON",
    "execution": "JSON",
    "restriction": "JSON",
    **_STAMPS,
}

# A trigger is a rule with a category; Zendesk's category ids are strings.
TRIGGER_COLUMNS = {**RULE_COLUMNS, "category_id": "VARCHAR", "raw_title": "VARCHAR"}

TRIGGER_CATEGORY_COLUMNS = {"id": "VARCHAR", "name": "VARCHAR", "position": "BIGINT", **_STAMPS}

ORGANIZATION_FIELD_COLUMNS = FIELD_COLUMNS
