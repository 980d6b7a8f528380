"""Satisfaction ratings: the account's list, one rating, their count, and a requester's rating
of a solved ticket (Zendesk's OpenAPI file)."""

from __future__ import annotations

from zdsync.catalog.model import Operation, Paging, in_body, in_path, in_query

_FILTERS = (in_query("score"), in_query("start_time", "integer"), in_query("end_time", "integer"))

OPERATIONS = (
    Operation(
        "satisfaction_ratings.list",
        "GET",
        "/api/v2/satisfaction_ratings",
        _FILTERS,
        "satisfaction_ratings",
        Paging.CURSOR,
        sources=("oas",),
    ),
    Operation(
        "satisfaction_ratings.show",
        "GET",
        "/api/v2/satisfaction_ratings/{satisfaction_rating_id}",
        (in_path("satisfaction_rating_id"),),
        "satisfaction_rating",
        sources=("oas",),
    ),
    Operation(
        "satisfaction_ratings.count",
        "GET",
        "/api/v2/satisfaction_ratings/count",
        (),
        "count",
        sources=("oas",),
    ),
    Operation(
        "satisfaction_ratings.create",
        "POST",
        "/api/v2/tickets/{ticket_id}/satisfaction_rating",
        (in_path("ticket_id"), in_body("satisfaction_rating", fields=("score",))),
        "satisfaction_rating",
        sources=("oas",),
    ),
)
