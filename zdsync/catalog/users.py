"""Users and deleted users: seeds 002, 003 and 004 (the Users API page in full)."""

from __future__ import annotations

from zdsync.catalog.model import BULK_MAX, Operation, Paging, in_body, in_path, in_query

_ID = in_path("user_id")
_DELETED_ID = in_path("deleted_user_id")
_IDS = in_query("ids", "ids", max_items=BULK_MAX)
_EXTERNAL_IDS = in_query("external_ids", "strings", max_items=BULK_MAX)
_ROLES = (in_query("role"), in_query("role[]", "strings"), in_query("permission_set", "integer"))

OPERATIONS = (
    Operation(
        "users.list",
        "GET",
        "/api/v2/users",
        (*_ROLES, in_query("external_id")),
        "users",
        Paging.CURSOR,
        sources=("002", "003", "004"),
    ),
    Operation(
        "users.search",
        "GET",
        "/api/v2/users/search",
        (in_query("query"), in_query("external_id")),
        "users",
        Paging.OFFSET,
        sources=("002", "004"),
    ),
    Operation(
        "users.autocomplete",
        "GET",
        "/api/v2/users/autocomplete",
        (in_query("name", required=True), in_query("field_id"), in_query("source")),
        "users",
        sources=("003", "004"),
    ),
    Operation("users.count", "GET", "/api/v2/users/count", _ROLES, "count", sources=("003", "004")),
    # Seed 004 names these; Zendesk's OpenAPI file leaves them out.
    *(
        op
        for owner, key in (("groups", "group_id"), ("organizations", "organization_id"))
        for op in (
            Operation(
                f"users.list_of_{owner[:-1]}",
                "GET",
                f"/api/v2/{owner}/{{{key}}}/users",
                (in_path(key), *_ROLES),
                "users",
                Paging.CURSOR,
                sources=("004",),
                in_oas=False,
            ),
            Operation(
                f"users.count_of_{owner[:-1]}",
                "GET",
                f"/api/v2/{owner}/{{{key}}}/users/count",
                (in_path(key), *_ROLES),
                "count",
                sources=("004",),
                in_oas=False,
            ),
        )
    ),
    Operation(
        "users.show", "GET", "/api/v2/users/{user_id}", (_ID,), "user", sources=("002", "004")
    ),
    Operation(
        "users.show_many",
        "GET",
        "/api/v2/users/show_many",
        (_IDS, _EXTERNAL_IDS),
        "users",
        one_of=("ids", "external_ids"),
        sources=("004",),
    ),
    Operation(
        "users.related",
        "GET",
        "/api/v2/users/{user_id}/related",
        (_ID,),
        "user_related",
        sources=("004",),
    ),
    Operation("users.me", "GET", "/api/v2/users/me", (), "user", sources=("002", "003", "004")),
    Operation(
        "users.create",
        "POST",
        "/api/v2/users",
        (in_body("user", fields=("name",)),),
        "user",
        sources=("002", "003", "004"),
    ),
    Operation(
        "users.create_many",
        "POST",
        "/api/v2/users/create_many",
        (in_body("users", "objects", fields=("name",), max_items=BULK_MAX),),
        "job_status",
        bulk_job=True,
        sources=("002", "003", "004"),
    ),
    # Matched on email or external id; Zendesk paces it per account and per user.
    Operation(
        "users.create_or_update",
        "POST",
        "/api/v2/users/create_or_update",
        (in_body("user"),),
        "user",
        rate_limit="single_user_write",
        sources=("003", "004"),
    ),
    Operation(
        "users.create_or_update_many",
        "POST",
        "/api/v2/users/create_or_update_many",
        (in_body("users", "objects", max_items=BULK_MAX),),
        "job_status",
        bulk_job=True,
        sources=("003", "004"),
    ),
    Operation(
        "users.request_create",
        "POST",
        "/api/v2/users/request_create",
        (in_body("user"),),
        sources=("004",),
    ),
    Operation(
        "users.update",
        "PUT",
        "/api/v2/users/{user_id}",
        (_ID, in_body("user")),
        "user",
        rate_limit=("single_user_write", "user_update"),
        sources=("002", "004"),
    ),
    # The same change to many users (``ids``/``external_ids`` and ``user``), or one each.
    Operation(
        "users.update_many",
        "PUT",
        "/api/v2/users/update_many",
        (
            _IDS,
            _EXTERNAL_IDS,
            in_body("user", required=False),
            in_body("users", "objects", required=False, max_items=BULK_MAX),
        ),
        "job_status",
        bulk_job=True,
        one_of=("user", "users"),
        sources=("002", "004"),
    ),
    # The user in the path is merged into the one in the body, and is gone afterwards.
    Operation(
        "users.merge",
        "PUT",
        "/api/v2/users/{user_id}/merge",
        (_ID, in_body("user")),
        "user",
        destructive=True,
        sources=("004",),
    ),
    Operation(
        "users.delete",
        "DELETE",
        "/api/v2/users/{user_id}",
        (_ID,),
        "user",
        destructive=True,
        sources=("002", "004"),
    ),
    Operation(
        "users.destroy_many",
        "DELETE",
        "/api/v2/users/destroy_many",
        (_IDS, _EXTERNAL_IDS),
        "job_status",
        bulk_job=True,
        destructive=True,
        one_of=("ids", "external_ids"),
        sources=("003", "004"),
    ),
    # Every session of every user named ends at once; there is no undoing it.
    Operation(
        "users.logout_many",
        "POST",
        "/api/v2/users/logout_many",
        (_IDS,),
        destructive=True,
        sources=("003", "004"),
    ),
    Operation(
        "users.compliance_deletion_statuses",
        "GET",
        "/api/v2/users/{user_id}/compliance_deletion_statuses",
        (_ID, in_query("application")),
        "compliance_deletion_statuses",
        Paging.CURSOR,
        sources=("004",),
    ),
    Operation(
        "deleted_users.list",
        "GET",
        "/api/v2/deleted_users",
        (),
        "deleted_users",
        Paging.CURSOR,
        sources=("003", "004"),
    ),
    Operation(
        "deleted_users.count",
        "GET",
        "/api/v2/deleted_users/count",
        (),
        "count",
        sources=("003", "004"),
    ),
    Operation(
        "deleted_users.show",
        "GET",
        "/api/v2/deleted_users/{deleted_user_id}",
        (_DELETED_ID,),
        "deleted_user",
        sources=("003", "004"),
    ),
    # Permanent: the user's personal data is erased and cannot be recovered.
    Operation(
        "deleted_users.delete",
        "DELETE",
        "/api/v2/deleted_users/{deleted_user_id}",
        (_DELETED_ID,),
        "deleted_user",
        rate_limit="permanent_deletion",
        destructive=True,
        sources=("003", "004"),
    ),
)
