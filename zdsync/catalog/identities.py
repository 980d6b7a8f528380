"""User identities and passwords (seed 003)."""

from __future__ import annotations

from zdsync.catalog.model import Operation, Paging, in_body, in_path

_USER = in_path("user_id")
_IDENTITY = in_path("user_identity_id")
_ONE = "/api/v2/users/{user_id}/identities/{user_identity_id}"

OPERATIONS = (
    Operation(
        "identities.list",
        "GET",
        "/api/v2/users/{user_id}/identities",
        (_USER,),
        "identities",
        Paging.CURSOR,
        sources=("003",),
    ),
    Operation(
        "identities.create",
        "POST",
        "/api/v2/users/{user_id}/identities",
        (_USER, in_body("identity", fields=("type", "value"))),
        "identity",
        sources=("003",),
    ),
    Operation("identities.show", "GET", _ONE, (_USER, _IDENTITY), "identity", sources=("003",)),
    Operation(
        "identities.update",
        "PUT",
        _ONE,
        (_USER, _IDENTITY, in_body("identity")),
        "identity",
        sources=("003",),
    ),
    Operation(
        "identities.delete",
        "DELETE",
        _ONE,
        (_USER, _IDENTITY),
        destructive=True,
        sources=("003",),
    ),
    Operation(
        "identities.make_primary",
        "PUT",
        f"{_ONE}/make_primary",
        (_USER, _IDENTITY),
        "identities",
        sources=("003",),
    ),
    Operation(
        "identities.request_verification",
        "PUT",
        f"{_ONE}/request_verification",
        (_USER, _IDENTITY),
        sources=("003",),
    ),
    Operation(
        "identities.verify",
        "PUT",
        f"{_ONE}/verify",
        (_USER, _IDENTITY),
        "identity",
        sources=("003",),
    ),
    # Not with an API token: Zendesk refuses token authentication on these two.
    Operation(
        "passwords.set",
        "POST",
        "/api/v2/users/{user_id}/password",
        (_USER, in_body("password", "string", secret=True)),
        sources=("003",),
    ),
    Operation(
        "passwords.change",
        "PUT",
        "/api/v2/users/{user_id}/password",
        (
            _USER,
            in_body("previous_password", "string", secret=True),
            in_body("password", "string", secret=True),
        ),
        sources=("003",),
    ),
    Operation(
        "passwords.requirements",
        "GET",
        "/api/v2/users/{user_id}/password/requirements",
        (_USER,),
        "requirements",
        sources=("003",),
    ),
)
