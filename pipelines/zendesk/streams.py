"""What zdsync extracts, as typed data: one ``Stream`` per warehouse table.

Column types are DuckDB types. Nested values (lists and objects) are kept as JSON columns: one
row per record, queryable with DuckDB's JSON functions, and no child tables to keep in step when
a record changes. Fields not listed here are not loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from dlt.common.data_types import TDataType

from zdsync import catalog

Style = Literal["cursor_export", "time_export", "cursor_list"]

# The dlt data type each DuckDB column type is declared as.
DLT_TYPES: dict[str, TDataType] = {
    "BIGINT": "bigint",
    "BOOLEAN": "bool",
    "JSON": "json",
    "TIMESTAMPTZ": "timestamp",
    "VARCHAR": "text",
}

_TICKET_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "external_id": "VARCHAR",
    "type": "VARCHAR",
    "subject": "VARCHAR",
    "raw_subject": "VARCHAR",
    "description": "VARCHAR",
    "priority": "VARCHAR",
    "status": "VARCHAR",
    "recipient": "VARCHAR",
    "requester_id": "BIGINT",
    "submitter_id": "BIGINT",
    "assignee_id": "BIGINT",
    "organization_id": "BIGINT",
    "group_id": "BIGINT",
    "collaborator_ids": "JSON",
    "follower_ids": "JSON",
    "email_cc_ids": "JSON",
    "forum_topic_id": "BIGINT",
    "problem_id": "BIGINT",
    "has_incidents": "BOOLEAN",
    "is_public": "BOOLEAN",
    "due_at": "TIMESTAMPTZ",
    "tags": "JSON",
    "custom_fields": "JSON",
    "satisfaction_rating": "JSON",
    "sharing_agreement_ids": "JSON",
    "custom_status_id": "BIGINT",
    "followup_ids": "JSON",
    "ticket_form_id": "BIGINT",
    "brand_id": "BIGINT",
    "allow_channelback": "BOOLEAN",
    "allow_attachments": "BOOLEAN",
    "from_messaging_channel": "BOOLEAN",
    "via": "JSON",
    "created_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
    "generated_timestamp": "BIGINT",
}

_USER_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "name": "VARCHAR",
    "email": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
    "time_zone": "VARCHAR",
    "iana_time_zone": "VARCHAR",
    "phone": "VARCHAR",
    "shared_phone_number": "BOOLEAN",
    "photo": "JSON",
    "locale_id": "BIGINT",
    "locale": "VARCHAR",
    "organization_id": "BIGINT",
    "role": "VARCHAR",
    "verified": "BOOLEAN",
    "external_id": "VARCHAR",
    "tags": "JSON",
    "alias": "VARCHAR",
    "active": "BOOLEAN",
    "shared": "BOOLEAN",
    "shared_agent": "BOOLEAN",
    "last_login_at": "TIMESTAMPTZ",
    "two_factor_auth_enabled": "BOOLEAN",
    "signature": "VARCHAR",
    "details": "VARCHAR",
    "notes": "VARCHAR",
    "role_type": "BIGINT",
    "custom_role_id": "BIGINT",
    "moderator": "BOOLEAN",
    "ticket_restriction": "VARCHAR",
    "only_private_comments": "BOOLEAN",
    "restricted_agent": "BOOLEAN",
    "suspended": "BOOLEAN",
    "default_group_id": "BIGINT",
    "report_csv": "BOOLEAN",
    "user_fields": "JSON",
}

_ORGANIZATION_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "name": "VARCHAR",
    "shared_tickets": "BOOLEAN",
    "shared_comments": "BOOLEAN",
    "external_id": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
    "domain_names": "JSON",
    "details": "VARCHAR",
    "notes": "VARCHAR",
    "group_id": "BIGINT",
    "tags": "JSON",
    "organization_fields": "JSON",
    "deleted_at": "TIMESTAMPTZ",
}

_DELETED_USER_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "name": "VARCHAR",
    "email": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
    "time_zone": "VARCHAR",
    "phone": "VARCHAR",
    "shared_phone_number": "BOOLEAN",
    "photo": "JSON",
    "locale_id": "BIGINT",
    "locale": "VARCHAR",
    "organization_id": "BIGINT",
    "role": "VARCHAR",
    "active": "BOOLEAN",
}

_COMPLIANCE_COLUMNS = {
    "user_id": "BIGINT",
    "application": "VARCHAR",
    "action": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "account_subdomain": "VARCHAR",
    "executer_id": "BIGINT",
}

_FIELD_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "type": "VARCHAR",
    "key": "VARCHAR",
    "title": "VARCHAR",
    "description": "VARCHAR",
    "position": "BIGINT",
    "active": "BOOLEAN",
    "required": "BOOLEAN",
    "regexp_for_validation": "VARCHAR",
    "custom_field_options": "JSON",
    "created_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
}


@dataclass(frozen=True)
class Stream:
    """One Zendesk collection and the table it lands in.

    Attributes:
        name: Table and resource name.
        path: API path.
        key: The list's key in the response body.
        style: Which paginator reads it.
        columns: Column name to DuckDB type, in table order.
        primary_key: Merge key.
        page_size: Records asked for per request.
        version: The column that orders a record's versions, when one run can read a record
            twice (an export sends it again if it changes while the export is read).
    """

    name: str
    path: str
    key: str
    style: Style
    columns: dict[str, str]
    primary_key: tuple[str, ...] = ("id",)
    page_size: int = 1000
    params: dict[str, Any] = field(default_factory=dict)
    version: str | None = None


# Each export orders records by the field it compares; a record read twice in one run carries a
# later value there the second time.
TICKETS = Stream(
    "tickets",
    catalog.operation("incremental.tickets_cursor").path,
    "tickets",
    "cursor_export",
    _TICKET_COLUMNS,
    version="generated_timestamp",
)
USERS = Stream(
    "users",
    catalog.operation("incremental.users_cursor").path,
    "users",
    "cursor_export",
    _USER_COLUMNS,
    version="updated_at",
)
ORGANIZATIONS = Stream(
    "organizations",
    catalog.operation("incremental.organizations").path,
    "organizations",
    "time_export",
    _ORGANIZATION_COLUMNS,
    version="updated_at",
)
DELETED_USERS = Stream(
    "deleted_users",
    catalog.operation("deleted_users.list").path,
    "deleted_users",
    "cursor_list",
    _DELETED_USER_COLUMNS,
    page_size=100,
)
COMPLIANCE_DELETION_STATUSES = Stream(
    "compliance_deletion_statuses",
    catalog.operation("users.compliance_deletion_statuses").path,
    "compliance_deletion_statuses",
    "cursor_list",
    _COMPLIANCE_COLUMNS,
    primary_key=("user_id", "application", "action", "created_at"),
    page_size=100,
)
TICKET_FIELDS = Stream(
    "ticket_fields",
    catalog.operation("ticket_fields.list").path,
    "ticket_fields",
    "cursor_list",
    _FIELD_COLUMNS,
    page_size=100,
)
USER_FIELDS = Stream(
    "user_fields",
    catalog.operation("user_fields.list").path,
    "user_fields",
    "cursor_list",
    _FIELD_COLUMNS,
    page_size=100,
)

EXPORTS = {stream.name: stream for stream in (TICKETS, USERS, ORGANIZATIONS)}
STREAMS = {
    stream.name: stream
    for stream in (*EXPORTS.values(), DELETED_USERS, COMPLIANCE_DELETION_STATUSES)
}
RESOURCE_NAMES = (
    "users",
    "tickets",
    "organizations",
    "deleted_users",
    "compliance_deletion_statuses",
)
# Field definitions follow the records that use them: loaded when their stream had news.
FIELD_DEFINITIONS = {"tickets": TICKET_FIELDS, "users": USER_FIELDS}

PERMANENTLY_DELETED_NAME = "Permanently Deleted User"


def epoch_of(timestamp: str) -> int:
    """``2024-05-01T12:00:00Z`` as Unix seconds."""
    return int(datetime.fromisoformat(timestamp).timestamp())
