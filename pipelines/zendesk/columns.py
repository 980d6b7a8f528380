"""The columns of each Zendesk collection zdsync loads, as DuckDB types, in table order.

Nested values (lists and objects) are kept as JSON columns: one row per record, queryable with
DuckDB's JSON functions, and no child tables to keep in step when a record changes. Fields not
listed are not loaded.
"""

TICKET_COLUMNS = {
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

USER_COLUMNS = {
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

ORGANIZATION_COLUMNS = {
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

DELETED_USER_COLUMNS = {
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

COMPLIANCE_COLUMNS = {
    "user_id": "BIGINT",
    "application": "VARCHAR",
    "action": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "account_subdomain": "VARCHAR",
    "executer_id": "BIGINT",
}

FIELD_COLUMNS = {
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

TICKET_EVENT_COLUMNS = {
    "id": "BIGINT",
    "ticket_id": "BIGINT",
    "timestamp": "BIGINT",
    "created_at": "TIMESTAMPTZ",
    "updater_id": "BIGINT",
    "via": "JSON",
    "event_type": "VARCHAR",
    "child_events": "JSON",
    "merged_ticket_ids": "JSON",
    "system": "JSON",
    "metadata": "JSON",
}

TICKET_FIELD_HISTORY_COLUMNS = {
    "ticket_id": "BIGINT",
    "field_name": "VARCHAR",
    "value": "VARCHAR",
    "previous_value": "VARCHAR",
    "updated_at": "TIMESTAMPTZ",
    "updater_id": "BIGINT",
    "event_id": "BIGINT",
}

TICKET_COMMENT_COLUMNS = {
    "id": "BIGINT",
    "ticket_id": "BIGINT",
    "author_id": "BIGINT",
    "public": "BOOLEAN",
    "created_at": "TIMESTAMPTZ",
    "body": "VARCHAR",
    "html_body": "VARCHAR",
    "via_channel": "VARCHAR",
    "attachments": "JSON",
    "event_id": "BIGINT",
}

TICKET_TAG_HISTORY_COLUMNS = {
    "ticket_id": "BIGINT",
    "tag": "VARCHAR",
    "action": "VARCHAR",
    "updated_at": "TIMESTAMPTZ",
    "updater_id": "BIGINT",
    "event_id": "BIGINT",
}

# Each duration Zendesk gives as {"calendar": m, "business": m} is two columns here.
TICKET_METRIC_DURATIONS = (
    "reply_time_in_minutes",
    "first_resolution_time_in_minutes",
    "full_resolution_time_in_minutes",
    "agent_wait_time_in_minutes",
    "requester_wait_time_in_minutes",
    "on_hold_time_in_minutes",
)
TICKET_METRIC_COLUMNS = {
    "id": "BIGINT",
    "ticket_id": "BIGINT",
    "url": "VARCHAR",
    "created_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
    "group_stations": "BIGINT",
    "assignee_stations": "BIGINT",
    "reopens": "BIGINT",
    "replies": "BIGINT",
    "assignee_updated_at": "TIMESTAMPTZ",
    "requester_updated_at": "TIMESTAMPTZ",
    "status_updated_at": "TIMESTAMPTZ",
    "initially_assigned_at": "TIMESTAMPTZ",
    "assigned_at": "TIMESTAMPTZ",
    "solved_at": "TIMESTAMPTZ",
    "latest_comment_added_at": "TIMESTAMPTZ",
    **{
        f"{duration}_{clock}": "INTEGER"
        for duration in TICKET_METRIC_DURATIONS
        for clock in ("calendar", "business")
    },
}

USER_IDENTITY_COLUMNS = {
    "id": "BIGINT",
    "user_id": "BIGINT",
    "url": "VARCHAR",
    "type": "VARCHAR",
    "value": "VARCHAR",
    "verified": "BOOLEAN",
    "primary": "BOOLEAN",
    "created_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
    "undeliverable_count": "BIGINT",
    "deliverable_state": "VARCHAR",
}

TICKET_METRIC_EVENT_COLUMNS = {
    "id": "BIGINT",
    "ticket_id": "BIGINT",
    "metric": "VARCHAR",
    "instance_id": "BIGINT",
    "type": "VARCHAR",
    "time": "TIMESTAMPTZ",
    "sla": "JSON",
    "status": "JSON",
    "deleted": "BOOLEAN",
}

SATISFACTION_RATING_COLUMNS = {
    "id": "BIGINT",
    "url": "VARCHAR",
    "ticket_id": "BIGINT",
    "assignee_id": "BIGINT",
    "group_id": "BIGINT",
    "requester_id": "BIGINT",
    "score": "VARCHAR",
    "comment": "VARCHAR",
    "reason": "VARCHAR",
    "reason_id": "BIGINT",
    "created_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
}
