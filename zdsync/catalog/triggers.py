"""Triggers and trigger categories (seed 003; the category list, create, delete and batch job
from Zendesk's OpenAPI file, which the seed's excerpt starts after)."""

from __future__ import annotations

from zdsync.catalog.model import BULK_MAX, Operation, Paging, in_body, in_path, in_query

_ID = in_path("trigger_id")
_CATEGORY = in_path("trigger_category_id", "string")
_SORTING = (
    in_query("sort"),
    in_query("sort_by"),
    in_query("sort_order"),
    in_query("category_id"),
)
# Updating conditions or actions replaces both lists, so a trigger is always sent whole.
_TRIGGER = in_body("trigger", fields=("title", "actions", "conditions"))

OPERATIONS = (
    Operation(
        "trigger_categories.list",
        "GET",
        "/api/v2/trigger_categories",
        (in_query("sort"), in_query("include")),
        "trigger_categories",
        Paging.CURSOR,
        sources=("oas",),
    ),
    # Zendesk answers a created category with 200, not 201.
    Operation(
        "trigger_categories.create",
        "POST",
        "/api/v2/trigger_categories",
        (in_body("trigger_category", fields=("name",)),),
        "trigger_category",
        sources=("oas",),
    ),
    Operation(
        "trigger_categories.delete",
        "DELETE",
        "/api/v2/trigger_categories/{trigger_category_id}",
        (_CATEGORY,),
        destructive=True,
        sources=("oas",),
    ),
    # Answered at once, complete or failed: a batch, not a background job with a job status.
    Operation(
        "trigger_categories.jobs",
        "POST",
        "/api/v2/trigger_categories/jobs",
        (in_body("job", fields=("action", "items")),),
        "results",
        sources=("oas",),
    ),
    Operation(
        "trigger_categories.show",
        "GET",
        "/api/v2/trigger_categories/{trigger_category_id}",
        (_CATEGORY,),
        "trigger_category",
        sources=("003",),
    ),
    Operation(
        "trigger_categories.update",
        "PATCH",
        "/api/v2/trigger_categories/{trigger_category_id}",
        (_CATEGORY, in_body("trigger_category")),
        "trigger_category",
        sources=("003",),
    ),
    Operation(
        "triggers.list",
        "GET",
        "/api/v2/triggers",
        (in_query("active", "boolean"), *_SORTING),
        "triggers",
        Paging.CURSOR,
        sources=("003",),
    ),
    Operation(
        "triggers.create", "POST", "/api/v2/triggers", (_TRIGGER,), "trigger", sources=("003",)
    ),
    Operation(
        "triggers.active",
        "GET",
        "/api/v2/triggers/active",
        _SORTING,
        "triggers",
        Paging.CURSOR,
        sources=("003",),
    ),
    Operation(
        "triggers.definitions",
        "GET",
        "/api/v2/triggers/definitions",
        (),
        "definitions",
        sources=("003",),
    ),
    Operation(
        "triggers.destroy_many",
        "DELETE",
        "/api/v2/triggers/destroy_many",
        # Zendesk states no cap for the trigger bulk writes; they are held to the 100 items its
        # other bulk endpoints take, so a long list is refused before anything is sent.
        (in_query("ids", "ids", required=True, max_items=BULK_MAX),),
        destructive=True,
        sources=("003",),
    ),
    # Every trigger of the account must be listed, in the new firing order.
    Operation(
        "triggers.reorder",
        "PUT",
        "/api/v2/triggers/reorder",
        (in_body("trigger_ids", "ids"),),
        sources=("003",),
    ),
    Operation(
        "triggers.search",
        "GET",
        "/api/v2/triggers/search",
        (
            in_query("query"),
            in_query("filter", "object"),
            in_query("active", "boolean"),
            in_query("include"),
            *_SORTING[:3],
        ),
        "triggers",
        # Zendesk's OpenAPI file: search pages by offset only.
        Paging.OFFSET,
        sources=("003",),
    ),
    Operation(
        "triggers.update_many",
        "PUT",
        "/api/v2/triggers/update_many",
        (in_body("triggers", "objects", fields=("id",), max_items=BULK_MAX),),
        "triggers",
        sources=("003",),
    ),
    Operation(
        "triggers.show", "GET", "/api/v2/triggers/{trigger_id}", (_ID,), "trigger", sources=("003",)
    ),
    Operation(
        "triggers.update",
        "PUT",
        "/api/v2/triggers/{trigger_id}",
        (_ID, _TRIGGER),
        "trigger",
        sources=("003",),
    ),
    Operation(
        "triggers.delete",
        "DELETE",
        "/api/v2/triggers/{trigger_id}",
        (_ID,),
        destructive=True,
        sources=("003",),
    ),
    # Revisions page with their own top-level cursors (``after_cursor``, up to 1,000 a page),
    # a style none of the client's paginators reads: one page is what a call returns.
    Operation(
        "triggers.revisions",
        "GET",
        "/api/v2/triggers/{trigger_id}/revisions",
        (_ID,),
        "trigger_revisions",
        sources=("003",),
    ),
    Operation(
        "triggers.revision",
        "GET",
        "/api/v2/triggers/{trigger_id}/revisions/{trigger_revision_id}",
        (_ID, in_path("trigger_revision_id")),
        "trigger_revision",
        sources=("003",),
    ),
)
