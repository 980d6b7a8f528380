"""Organizations: the operations seed 002's workflow tool performs on them."""

from __future__ import annotations

from zdsync.catalog.model import BULK_MAX, Operation, Paging, in_body, in_path, in_query

_ID = in_path("organization_id")
_IDS = in_query("ids", "ids", max_items=BULK_MAX)
_EXTERNAL_IDS = in_query("external_ids", "strings", max_items=BULK_MAX)

OPERATIONS = (
    Operation(
        "organizations.list",
        "GET",
        "/api/v2/organizations",
        (),
        "organizations",
        Paging.CURSOR,
        sources=("002",),
    ),
    Operation(
        "organizations.show",
        "GET",
        "/api/v2/organizations/{organization_id}",
        (_ID,),
        "organization",
        sources=("002",),
    ),
    Operation(
        "organizations.autocomplete",
        "GET",
        "/api/v2/organizations/autocomplete",
        (in_query("name", required=True),),
        "organizations",
        Paging.OFFSET,
        sources=("002",),
    ),
    Operation(
        "organizations.search",
        "GET",
        "/api/v2/organizations/search",
        (in_query("external_id"), in_query("name")),
        "organizations",
        Paging.OFFSET,
        sources=("notes",),
        one_of=("external_id", "name"),
    ),
    Operation(
        "organizations.create",
        "POST",
        "/api/v2/organizations",
        (in_body("organization", fields=("name",)),),
        "organization",
        sources=("002",),
    ),
    Operation(
        "organizations.create_many",
        "POST",
        "/api/v2/organizations/create_many",
        (in_body("organizations", "objects", fields=("name",), max_items=BULK_MAX),),
        "job_status",
        bulk_job=True,
        sources=("002",),
    ),
    Operation(
        "organizations.show_many",
        "GET",
        "/api/v2/organizations/show_many",
        (_IDS, _EXTERNAL_IDS),
        "organizations",
        one_of=("ids", "external_ids"),
        sources=("notes",),
    ),
    # The same change to many organizations (``ids`` and ``organization``), or one change each
    # (``organizations``, every one with its ``id``).
    Operation(
        "organizations.update_many",
        "PUT",
        "/api/v2/organizations/update_many",
        (
            _IDS,
            _EXTERNAL_IDS,
            in_body("organization", required=False),
            in_body("organizations", "objects", required=False, max_items=BULK_MAX),
        ),
        "job_status",
        bulk_job=True,
        one_of=("organization", "organizations"),
        sources=("notes",),
    ),
    Operation(
        "organizations.update",
        "PUT",
        "/api/v2/organizations/{organization_id}",
        (_ID, in_body("organization")),
        "organization",
        # 5 updates a minute per organization (notes 6.2).
        rate_limit="organization_update",
        sources=("002",),
    ),
    Operation(
        "organizations.delete",
        "DELETE",
        "/api/v2/organizations/{organization_id}",
        (_ID,),
        destructive=True,
        sources=("002",),
    ),
)
