"""Tickets: the operations seed 002's workflow tool performs on them."""

from __future__ import annotations

from zdsync.catalog.model import BULK_MAX, Operation, Paging, in_body, in_path, in_query

_ID = in_path("ticket_id")

OPERATIONS = (
    Operation(
        "tickets.list",
        "GET",
        "/api/v2/tickets",
        (in_query("external_id"), in_query("sort")),
        "tickets",
        Paging.CURSOR,
        sources=("002",),
    ),
    Operation(
        "tickets.show", "GET", "/api/v2/tickets/{ticket_id}", (_ID,), "ticket", sources=("002",)
    ),
    Operation(
        "tickets.show_many",
        "GET",
        "/api/v2/tickets/show_many",
        (in_query("ids", "ids", max_items=BULK_MAX),),
        "tickets",
        sources=("notes",),
    ),
    Operation(
        "tickets.create",
        "POST",
        "/api/v2/tickets",
        (in_body("ticket", fields=("comment",)),),
        "ticket",
        sources=("002",),
    ),
    Operation(
        "tickets.create_many",
        "POST",
        "/api/v2/tickets/create_many",
        (in_body("tickets", "objects", fields=("comment",), max_items=BULK_MAX),),
        "job_status",
        bulk_job=True,
        sources=("002",),
    ),
    Operation(
        "tickets.update",
        "PUT",
        "/api/v2/tickets/{ticket_id}",
        (_ID, in_body("ticket")),
        "ticket",
        # 100 updates a minute per account, and 30 every ten minutes per ticket (notes 6.2).
        rate_limit=("ticket_update", "ticket_update_per_ticket"),
        sources=("002",),
    ),
    # The same change to many tickets (``ids`` and ``ticket``), or one change each (``tickets``).
    Operation(
        "tickets.update_many",
        "PUT",
        "/api/v2/tickets/update_many",
        (
            in_query("ids", "ids", max_items=BULK_MAX),
            in_body("ticket", required=False),
            in_body("tickets", "objects", required=False, max_items=BULK_MAX),
        ),
        "job_status",
        bulk_job=True,
        one_of=("ticket", "tickets"),
        sources=("002",),
    ),
    Operation(
        "tickets.delete",
        "DELETE",
        "/api/v2/tickets/{ticket_id}",
        (_ID,),
        destructive=True,
        sources=("002",),
    ),
    # Merged tickets are closed for good: there is no unmerge.
    Operation(
        "tickets.merge",
        "POST",
        "/api/v2/tickets/{ticket_id}/merge",
        (
            _ID,
            in_body("ids", "ids"),
            in_body("target_comment", "string", required=False),
            in_body("source_comment", "string", required=False),
        ),
        "job_status",
        bulk_job=True,
        destructive=True,
        sources=("002",),
    ),
)
