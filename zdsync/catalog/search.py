"""Search across tickets, users and organizations (seed 002)."""

from __future__ import annotations

from zdsync.catalog.model import Operation, Paging, in_query

OPERATIONS = (
    # The ordinary form: offset pages of mixed ``results``, the first 1,000 of them at most.
    Operation(
        "search.list",
        "GET",
        "/api/v2/search",
        (in_query("query", required=True), in_query("sort_by"), in_query("sort_order")),
        "results",
        Paging.OFFSET,
        result_cap=1000,
        sources=("notes",),
    ),
    # The export form of search: cursor pages, no 1,000-result ceiling, one type at a time.
    Operation(
        "search.export",
        "GET",
        "/api/v2/search/export",
        (in_query("query", required=True), in_query("filter[type]", required=True)),
        "results",
        Paging.SEARCH,
        rate_limit="search_export",
        sources=("002",),
    ),
    Operation(
        "search.count",
        "GET",
        "/api/v2/search/count",
        (in_query("query", required=True),),
        "count",
        sources=("002",),
    ),
)
