"""Custom user fields and their drop-down options (seed 003)."""

from __future__ import annotations

from zdsync.catalog.model import Operation, Paging, in_body, in_path

# A user field is named by its id or by its key.
_FIELD = in_path("user_field_id", "string")
_OPTION = in_path("user_field_option_id")
_ONE = "/api/v2/user_fields/{user_field_id}"

OPERATIONS = (
    Operation(
        "user_fields.list",
        "GET",
        "/api/v2/user_fields",
        (),
        "user_fields",
        Paging.CURSOR,
        sources=("003", "notes"),
    ),
    Operation(
        "user_fields.create",
        "POST",
        "/api/v2/user_fields",
        (in_body("user_field"),),
        "user_field",
        sources=("003",),
    ),
    Operation(
        "user_fields.reorder",
        "PUT",
        "/api/v2/user_fields/reorder",
        (in_body("user_field_ids", "ids"),),
        sources=("003",),
    ),
    Operation("user_fields.show", "GET", _ONE, (_FIELD,), "user_field", sources=("003",)),
    Operation(
        "user_fields.update",
        "PUT",
        _ONE,
        (_FIELD, in_body("user_field")),
        "user_field",
        sources=("003",),
    ),
    Operation("user_fields.delete", "DELETE", _ONE, (_FIELD,), destructive=True, sources=("003",)),
    Operation(
        "user_field_options.list",
        "GET",
        f"{_ONE}/options",
        (_FIELD,),
        "custom_field_options",
        Paging.CURSOR,
        sources=("003",),
    ),
    # With an ``id`` the option is updated, without one it is created.
    Operation(
        "user_field_options.create_or_update",
        "POST",
        f"{_ONE}/options",
        (_FIELD, in_body("custom_field_option")),
        "custom_field_option",
        sources=("003",),
    ),
    Operation(
        "user_field_options.show",
        "GET",
        f"{_ONE}/options/{{user_field_option_id}}",
        (_FIELD, _OPTION),
        "custom_field_option",
        sources=("003",),
    ),
    Operation(
        "user_field_options.delete",
        "DELETE",
        f"{_ONE}/options/{{user_field_option_id}}",
        (_FIELD, _OPTION),
        destructive=True,
        sources=("003",),
    ),
)
