"""What zdsync extracts: one ``Stream`` per warehouse table, the only place a resource is declared.

The extract, the dlt source, the flows' defaults, the transform's prerequisites, the demo and
``zdsync status`` all read their lists from ``STREAMS``. Adding a resource is one entry here
(with its columns in ``columns.py``) and its test.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.zendesk.columns import (
    COMPLIANCE_COLUMNS,
    DELETED_USER_COLUMNS,
    FIELD_COLUMNS,
    ORGANIZATION_COLUMNS,
    SATISFACTION_RATING_COLUMNS,
    TICKET_COLUMNS,
    TICKET_COMMENT_COLUMNS,
    TICKET_EVENT_COLUMNS,
    TICKET_FIELD_HISTORY_COLUMNS,
    TICKET_METRIC_COLUMNS,
    TICKET_METRIC_DURATIONS,
    TICKET_METRIC_EVENT_COLUMNS,
    TICKET_TAG_HISTORY_COLUMNS,
    USER_COLUMNS,
    USER_IDENTITY_COLUMNS,
)
from pipelines.zendesk.config_streams import CONFIG_STREAMS, settings_list
from pipelines.zendesk.derived import Derived, flattened, sideload
from pipelines.zendesk.exports import CursorExport, TimeExport
from pipelines.zendesk.gdpr import deletion_complete, is_permanently_deleted
from pipelines.zendesk.lists import EachOf, WholeList
from pipelines.zendesk.recent import RecentList
from pipelines.zendesk.stream import Phase, Stream
from pipelines.zendesk.ticket_events import comments, field_history, tag_history
from zdsync import catalog

# Each export orders records by the field it compares; a record read twice in one run carries a
# later value there the second time.
USERS = Stream(
    "users",
    catalog.operation("incremental.users_cursor").path,
    USER_COLUMNS,
    CursorExport(),
    version="updated_at",
    params={"include": "identities"},
)
TICKETS = Stream(
    "tickets",
    catalog.operation("incremental.tickets_cursor").path,
    TICKET_COLUMNS,
    CursorExport(),
    version="generated_timestamp",
    params={"include": "metric_sets"},
)
ORGANIZATIONS = Stream(
    "organizations",
    catalog.operation("incremental.organizations").path,
    ORGANIZATION_COLUMNS,
    TimeExport(stamp="updated_at"),
    version="updated_at",
)
# Soft and permanent deletions alike; the list is small, so each run reads all of it.
DELETED_USERS = Stream(
    "deleted_users",
    catalog.operation("deleted_users.list").path,
    DELETED_USER_COLUMNS,
    WholeList(),
)
COMPLIANCE_DELETION_STATUSES = Stream(
    "compliance_deletion_statuses",
    catalog.operation("users.compliance_deletion_statuses").path,
    COMPLIANCE_COLUMNS,
    EachOf(
        "deleted_users",
        only=is_permanently_deleted,
        settled=deletion_complete,
        remember="complete_user_ids",
        settled_label="users complete",
    ),
    primary_key=("user_id", "application", "action", "created_at"),
)
# Field definitions are kept as snapshots, as the account's other settings lists are.
TICKET_FIELDS = settings_list("ticket_fields", FIELD_COLUMNS, follows="tickets")
USER_FIELDS = settings_list("user_fields", FIELD_COLUMNS, follows="users")
# Audits in time order; a comment's body comes only with the comment_events sideload. The
# three tables after it are made from the same pages, without a request of their own.
TICKET_EVENTS = Stream(
    "ticket_events",
    catalog.operation("incremental.ticket_events").path,
    TICKET_EVENT_COLUMNS,
    TimeExport(stamp="created_at"),
    params={"include": "comment_events"},
)
TICKET_FIELD_HISTORY = Stream(
    "ticket_field_history",
    TICKET_EVENTS.path,
    TICKET_FIELD_HISTORY_COLUMNS,
    Derived("ticket_events", field_history),
    primary_key=("event_id", "field_name"),
)
TICKET_COMMENTS = Stream(
    "ticket_comments",
    TICKET_EVENTS.path,
    TICKET_COMMENT_COLUMNS,
    Derived("ticket_events", comments),
)
TICKET_TAG_HISTORY = Stream(
    "ticket_tag_history",
    TICKET_EVENTS.path,
    TICKET_TAG_HISTORY_COLUMNS,
    Derived("ticket_events", tag_history),
    primary_key=("event_id", "tag", "action"),
)
# Zendesk's own figures per ticket, sideloaded on the tickets export's pages.
TICKET_METRICS = Stream(
    "ticket_metrics",
    TICKETS.path,
    TICKET_METRIC_COLUMNS,
    Derived("tickets", flattened("metric_sets", TICKET_METRIC_COLUMNS, TICKET_METRIC_DURATIONS)),
)
# Zendesk's SLA clocks per ticket, in time order.
TICKET_METRIC_EVENTS = Stream(
    "ticket_metric_events",
    catalog.operation("incremental.ticket_metric_events").path,
    TICKET_METRIC_EVENT_COLUMNS,
    TimeExport(stamp="time"),
)
# Every identity of the users on each users export page; a permanent deletion removes them.
USER_IDENTITIES = Stream(
    "user_identities",
    USERS.path,
    USER_IDENTITY_COLUMNS,
    Derived("users", sideload("identities", USER_IDENTITY_COLUMNS)),
)
# On the account's budget, not the exports'; read again from a look-back, as a rating may
# change after it is created (``recent.py``).
SATISFACTION_RATINGS = Stream(
    "satisfaction_ratings",
    catalog.operation("satisfaction_ratings.list").path,
    SATISFACTION_RATING_COLUMNS,
    RecentList(stamp="created_at", lookback_days=28),
)

STREAMS: dict[str, Stream] = {
    stream.name: stream
    for stream in (
        USERS,
        TICKETS,
        ORGANIZATIONS,
        DELETED_USERS,
        COMPLIANCE_DELETION_STATUSES,
        TICKET_FIELDS,
        USER_FIELDS,
        TICKET_EVENTS,
        TICKET_FIELD_HISTORY,
        TICKET_COMMENTS,
        TICKET_TAG_HISTORY,
        TICKET_METRICS,
        TICKET_METRIC_EVENTS,
        USER_IDENTITIES,
        SATISFACTION_RATINGS,
        *CONFIG_STREAMS,
    )
}


def resource_names() -> tuple[str, ...]:
    """The streams a run may be asked for; each brings the streams that follow it."""
    return tuple(name for name, stream in STREAMS.items() if stream.fetch.follows is None)


def export_names() -> tuple[str, ...]:
    """The streams read incrementally from a saved position: cheap to run often."""
    return tuple(name for name in resource_names() if STREAMS[name].fetch.phase is Phase.EXPORTS)


def loaded_with(chosen: Iterable[str]) -> list[Stream]:
    """``chosen`` and the streams that follow them, in the table's order."""
    wanted = set(chosen)
    return [
        stream
        for stream in STREAMS.values()
        if stream.name in wanted or stream.fetch.follows in wanted
    ]


def derived_from(name: str) -> list[Stream]:
    """The streams whose rows come with the pages of stream ``name``."""
    return [
        stream
        for stream in STREAMS.values()
        if isinstance(stream.fetch, Derived) and stream.fetch.follows == name
    ]


def fetched_with(loaded: Iterable[Stream]) -> list[Stream]:
    """The streams whose rows ``loaded`` read, and theirs, fetched but not loaded for them."""
    names = {stream.name for stream in loaded}
    found: list[Stream] = []
    pending = [need for stream in loaded for need in stream.fetch.needs]
    while pending:
        name = pending.pop()
        if name not in names:
            names.add(name)
            found.append(STREAMS[name])
            pending.extend(STREAMS[name].fetch.needs)
    return found


RESOURCE_NAMES = resource_names()
EXPORT_NAMES = export_names()
