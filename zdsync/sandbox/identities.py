"""User identities: list, create, show, update, delete, make primary, verify, request verification.

Identities are the store's own (``Store.identities``, one list per user), so what these
endpoints change is what a user's email and lookups then say: the primary email identity is
the user's ``email``, and every email identity finds the user. Agents manage anyone's
identities; an end user may list and show only their own email and phone identities, and make
one of their verified emails primary.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from zdsync.sandbox.bulk import email_is_valid
from zdsync.sandbox.config import ADMIN_EMAIL
from zdsync.sandbox.fakedata import Record, iso
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import (
    Problem,
    body_object,
    forbidden,
    is_staff,
    not_found,
    record_invalid,
)
from zdsync.sandbox.writes_users import live_user

if TYPE_CHECKING:
    from zdsync.sandbox.routes import Handler
    from zdsync.sandbox.server import App

# What an agent may add, and what an end user may see of their own.
CREATABLE = ("email", "twitter", "facebook", "google", "agent_forwarding", "phone_number")
END_USER_VISIBLE = ("email", "phone_number")
VERIFICATION_METHODS = ("none", "low", "sso", "embed", "full")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{5,}$")


def listed(store: Store, request: Request, groups: tuple[str, ...]) -> list[Record] | Reply:
    """The rows of ``GET /users/{id}/identities``, filtered by ``type[]``, in id order."""
    user = live_user(store, int(groups[0]))
    if user is None:
        return not_found()
    if not _may_read(request.user, user):
        return forbidden()
    types = set(request.values("type[]"))
    return [
        identity
        for identity in sorted(_visible(request.user, store, user), key=lambda i: i["id"])
        if not types or identity["type"] in types
    ]


def show(app: App, request: Request, user_id: int, identity_id: int) -> Reply:
    """``GET``: the identity, when it is the user's and the caller may see it."""
    found = _found(app.store, request, user_id, identity_id, write=False)
    if isinstance(found, Reply):
        return found
    return json_reply(200, {"identity": found[1]})


def create(app: App, request: Request, user_id: int) -> Reply:
    """``POST``: 201 and the new identity; 422 for a type or value Zendesk refuses."""
    if not is_staff(request.user):
        return forbidden()
    row = body_object(request, "identity")
    if isinstance(row, Reply):
        return row
    with app.store.lock:
        user = live_user(app.store, user_id)
        if user is None:
            return not_found()
        problems = _creation_problems(app.store, row)
        if problems:
            return record_invalid(*problems)
        identities = [dict(i) for i in app.store.identities.get(user_id, [])]
        made = _new_identity(app, user, identities, str(row["type"]), str(row["value"]))
        identities.append(made)
        app.store.replace_identities(user_id, identities)
    return json_reply(201, {"identity": made})


def update(app: App, request: Request, user_id: int, identity_id: int) -> Reply:
    """``PUT``: ``verified``, ``verification_method`` or ``value``; never ``primary``."""
    row = body_object(request, "identity")
    if isinstance(row, Reply):
        return row
    with app.store.lock:
        found = _found(app.store, request, user_id, identity_id, write=True)
        if isinstance(found, Reply):
            return found
        identities, identity = found
        problems = _update_problems(app.store, identity, row)
        if problems:
            return record_invalid(*problems)
        identity.update(_changes(row), updated_at=iso(app.store.now()))
        app.store.replace_identities(user_id, identities)
    return json_reply(200, {"identity": identity})


def delete(app: App, request: Request, user_id: int, identity_id: int) -> Reply:
    """``DELETE``: 204; the user keeps its other identities, and loses the email if primary."""
    with app.store.lock:
        found = _found(app.store, request, user_id, identity_id, write=True)
        if isinstance(found, Reply):
            return found
        identities, identity = found
        app.store.replace_identities(user_id, [i for i in identities if i is not identity])
    return Reply(204)


def make_primary(app: App, request: Request, user_id: int, identity_id: int) -> Reply:
    """``PUT .../make_primary``: the identity becomes its type's primary; every identity back."""
    with app.store.lock:
        found = _found(app.store, request, user_id, identity_id, write=False)
        if isinstance(found, Reply):
            return found
        identities, identity = found
        if not is_staff(request.user) and not (
            identity["type"] == "email" and identity["verified"]
        ):
            return forbidden()
        now = iso(app.store.now())
        for other in identities:
            if other["type"] == identity["type"] and other["primary"] != (other is identity):
                other.update(primary=other is identity, updated_at=now)
        app.store.replace_identities(user_id, identities)
    return json_reply(200, {"identities": sorted(identities, key=lambda i: i["id"])})


def verify(app: App, request: Request, user_id: int, identity_id: int) -> Reply:
    """``PUT .../verify``: verified; never the account owner's email, which only mail verifies."""
    with app.store.lock:
        found = _found(app.store, request, user_id, identity_id, write=True)
        if isinstance(found, Reply):
            return found
        identities, identity = found
        if identity["type"] == "email" and identity["value"].lower() == ADMIN_EMAIL:
            return forbidden()
        identity.update(verified=True, updated_at=iso(app.store.now()))
        app.store.replace_identities(user_id, identities)
    return json_reply(200, {"identity": identity})


def request_verification(app: App, request: Request, user_id: int, identity_id: int) -> Reply:
    """``PUT .../request_verification``: 200 and no body; the mail it sends is recorded."""
    with app.store.lock:
        found = _found(app.store, request, user_id, identity_id, write=True)
        if isinstance(found, Reply):
            return found
        app.verification_mails.append(found[1]["id"])
    return Reply(200)


def routes() -> dict[str, Handler]:
    """The handlers by catalog operation, for the server's ``ROUTES``."""
    one = {
        "identities.show": show,
        "identities.update": update,
        "identities.delete": delete,
        "identities.make_primary": make_primary,
        "identities.verify": verify,
        "identities.request_verification": request_verification,
    }
    found: dict[str, Handler] = {name: _on_identity(handler) for name, handler in one.items()}
    found["identities.create"] = lambda a, r, m: create(a, r, int(m["user_id"]))
    return found


def _on_identity(handler: Any) -> Handler:
    return lambda a, r, m: handler(a, r, int(m["user_id"]), int(m["user_identity_id"]))


def _found(
    store: Store, request: Request, user_id: int, identity_id: int, *, write: bool
) -> tuple[list[Record], Record] | Reply:
    """A copy of the user's identities and the one asked for in it, or the refusal."""
    if write and not is_staff(request.user):
        return forbidden()
    user = live_user(store, user_id)
    if user is None:
        return not_found()
    if not _may_read(request.user, user):
        return forbidden()
    identities = [dict(i) for i in store.identities.get(user_id, [])]
    visible = {i["id"] for i in _visible(request.user, store, user)}
    identity = next((i for i in identities if i["id"] == identity_id), None)
    if identity is None or identity_id not in visible:
        return not_found()
    return identities, identity


def _may_read(caller: Record | None, user: Record) -> bool:
    return is_staff(caller) or (caller is not None and caller["id"] == user["id"])


def _visible(caller: Record | None, store: Store, user: Record) -> list[Record]:
    identities = store.identities.get(user["id"], [])
    if is_staff(caller):
        return identities
    return [i for i in identities if i["type"] in END_USER_VISIBLE]


def _new_identity(
    app: App, user: Record, identities: list[Record], kind: str, value: str
) -> Record:
    identity_id = app.store.next_identity_id()
    now = iso(app.store.now())
    return {
        "id": identity_id,
        "url": f"{app.store.origin}/api/v2/users/{user['id']}/identities/{identity_id}.json",
        "user_id": user["id"],
        "type": kind,
        "value": value,
        "verified": False,
        # The first of its type is the primary one, as a user's first email is.
        "primary": not any(i["type"] == kind for i in identities),
        "created_at": now,
        "updated_at": now,
        "undeliverable_count": 0,
        "deliverable_state": "deliverable",
    }


def _creation_problems(store: Store, row: Record) -> list[Problem]:
    kind, value = row.get("type"), row.get("value")
    if kind not in CREATABLE:
        return [("type", "InvalidValue", f"Type: {kind} is not a supported identity type")]
    return _value_problems(store, str(kind), value)


def _update_problems(store: Store, identity: Record, row: Record) -> list[Problem]:
    problems: list[Problem] = []
    if "primary" in row:
        message = "Primary: is changed only by make_primary"
        problems.append(("primary", "InvalidValue", message))
    if "verified" in row and not isinstance(row["verified"], bool):
        problems.append(("verified", "InvalidValue", "Verified: must be true or false"))
    method = row.get("verification_method")
    if method is not None and method not in VERIFICATION_METHODS:
        message = f"Verification method: {method} is not valid"
        problems.append(("verification_method", "InvalidValue", message))
    if "value" in row and row["value"] != identity["value"]:
        problems += _value_problems(store, identity["type"], row["value"])
    return problems


def _value_problems(store: Store, kind: str, value: Any) -> list[Problem]:
    if not isinstance(value, str) or not value.strip():
        return [("value", "InvalidValue", "Value: cannot be blank")]
    if kind in ("email", "google") and not email_is_valid(value):
        return [("value", "InvalidValue", f"Value: {value} is not properly formatted")]
    if kind in ("phone_number", "agent_forwarding") and not _PHONE.match(value):
        return [("value", "InvalidValue", f"Value: {value} is not a valid phone number")]
    if kind == "email" and store.find_user(email=value) is not None:
        return [("value", "DuplicateValue", f"Value: {value} is already being used")]
    return []


def _changes(row: Record) -> Record:
    """The identity fields a change sets; a verification method implies the verified flag."""
    keys = ("verified", "value", "verification_method")
    changes: Record = {key: row[key] for key in keys if key in row}
    method = changes.get("verification_method")
    if method is not None and "verified" not in changes:
        changes["verified"] = method != "none"
    return changes
