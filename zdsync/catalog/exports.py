"""Operations the extract and the reverse ETL relied on before the seeds named them: the
incremental exports, job statuses and ticket fields, as the API notes describe them."""

from __future__ import annotations

from zdsync.catalog.model import Operation, Paging, in_path, in_query

_CURSOR_EXPORT = (
    in_query("start_time", "integer"),
    in_query("cursor"),
    in_query("per_page", "integer"),
)
_TIME_EXPORT = (in_query("start_time", "integer", required=True), in_query("per_page", "integer"))
_TICKET_EXTRAS = (in_query("include"), in_query("exclude_deleted", "boolean"))

OPERATIONS = (
    Operation(
        "incremental.tickets_cursor",
        "GET",
        "/api/v2/incremental/tickets/cursor",
        (*_CURSOR_EXPORT, *_TICKET_EXTRAS),
        "tickets",
        Paging.INCREMENTAL_CURSOR,
        rate_limit="incremental",
        sources=("notes",),
    ),
    # Ticket exports compare generated_timestamp, which system updates move too.
    Operation(
        "incremental.tickets",
        "GET",
        "/api/v2/incremental/tickets",
        (*_TIME_EXPORT, *_TICKET_EXTRAS),
        "tickets",
        Paging.INCREMENTAL_TIME,
        rate_limit="incremental",
        sources=("notes",),
        timestamp_field="generated_timestamp",
    ),
    # Its own budget; whether it also spends the shared export budget is the rate limiter's
    # assumption to test, not a fact of the catalog.
    Operation(
        "incremental.users_cursor",
        "GET",
        "/api/v2/incremental/users/cursor",
        _CURSOR_EXPORT,
        "users",
        Paging.INCREMENTAL_CURSOR,
        rate_limit="users_cursor",
        sources=("notes",),
    ),
    Operation(
        "incremental.users",
        "GET",
        "/api/v2/incremental/users",
        _TIME_EXPORT,
        "users",
        Paging.INCREMENTAL_TIME,
        rate_limit="incremental",
        sources=("notes",),
        timestamp_field="updated_at",
    ),
    Operation(
        "incremental.organizations",
        "GET",
        "/api/v2/incremental/organizations",
        _TIME_EXPORT,
        "organizations",
        Paging.INCREMENTAL_TIME,
        rate_limit="incremental",
        sources=("notes",),
        timestamp_field="updated_at",
    ),
    # Audits in time order; comments come in full only with include=comment_events.
    Operation(
        "incremental.ticket_events",
        "GET",
        "/api/v2/incremental/ticket_events",
        (*_TIME_EXPORT, in_query("include")),
        "ticket_events",
        Paging.INCREMENTAL_TIME,
        rate_limit="incremental",
        sources=("notes",),
        timestamp_field="created_at",
    ),
    # Zendesk's SLA clocks: activate, pause, fulfill, apply_sla, breach... in time order.
    Operation(
        "incremental.ticket_metric_events",
        "GET",
        "/api/v2/incremental/ticket_metric_events",
        (in_query("start_time", "integer", required=True), in_query("per_page", "integer")),
        "ticket_metric_events",
        Paging.INCREMENTAL_TIME,
        rate_limit="incremental",
        sources=("notes",),
        timestamp_field="time",
    ),
    Operation(
        "job_statuses.show",
        "GET",
        "/api/v2/job_statuses/{job_status_id}",
        (in_path("job_status_id", "string"),),
        "job_status",
        sources=("notes",),
    ),
    Operation(
        "job_statuses.show_many",
        "GET",
        "/api/v2/job_statuses/show_many",
        (in_query("ids", "strings", required=True),),
        "job_statuses",
        sources=("notes",),
    ),
    Operation(
        "ticket_fields.list",
        "GET",
        "/api/v2/ticket_fields",
        (),
        "ticket_fields",
        Paging.CURSOR,
        sources=("notes",),
    ),
)
