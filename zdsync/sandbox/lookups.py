"""Finding one organization or user by name: organizations search and the two autocompletes.

- ``organizations/search``: by ``external_id`` or ``name``, not both, each matched whole and
  case-insensitively. Admins only, as Zendesk allows it (and agents with a custom role, which
  the sandbox has none of).
- ``organizations/autocomplete?name=``: organizations whose name starts with ``name``
  (``SandboxConfig.organization_autocomplete`` can make that "contains"), by name.
- ``users/autocomplete?name=``: active users whose name starts with ``name``, by name, leaving
  out users with a foreign identity.

Autocompletes are for agents and admins and page by offset, at most 100 a page. Deleted records
are never found.
"""

from __future__ import annotations

from collections.abc import Callable

from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.paging import Selection, offset_page
from zdsync.sandbox.query import visible
from zdsync.sandbox.query_syntax import QueryError
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import FORBIDDEN, Reply, Request, error_reply, json_reply


def search_organizations(store: Store, request: Request) -> Reply:
    """``GET /api/v2/organizations/search``."""
    if request.user is None or request.user["role"] != "admin":
        return error_reply(403, *FORBIDDEN)
    external_id, name = request.query.get("external_id"), request.query.get("name")
    if bool(external_id) == bool(name):
        return error_reply(400, "InvalidValue", "give external_id or name, not both")
    field, wanted = "external_id" if external_id else "name", (external_id or name or "").lower()
    with store.lock:
        found = [
            org
            for org in visible(store, "organization")
            if str(org.get(field) or "").lower() == wanted
        ]
    return json_reply(
        200, {"organizations": found, "next_page": None, "previous_page": None, "count": len(found)}
    )


def _autocomplete(
    store: Store,
    request: Request,
    kind: str,
    key: str,
    fits: Callable[[str, str], bool],
    keep: Callable[[Record], bool] = lambda record: True,
) -> Reply:
    if request.user is None or request.user["role"] == "end-user":
        return error_reply(403, *FORBIDDEN)
    name = request.query.get("name", "")
    if not name.strip():
        return QueryError("name is required").reply()
    wanted = name.lower()
    with store.lock:
        rows: list[Record] = sorted(
            (
                r
                for r in visible(store, kind)
                if fits((r.get("name") or "").lower(), wanted) and keep(r)
            ),
            key=lambda r: ((r.get("name") or "").lower(), r["id"]),
        )
    selection = Selection(
        base_url=store.origin + request.path.removesuffix(".json"),
        key=key,
        rows=rows,
        positions=list(range(len(rows))),
        carried=[("name", name)],
    )
    return offset_page(selection, request)


def autocomplete_organizations(store: Store, request: Request) -> Reply:
    """``GET /api/v2/organizations/autocomplete``."""
    if store.config.organization_autocomplete == "substring":
        return _autocomplete(store, request, "organization", "organizations", str.__contains__)
    return _autocomplete(store, request, "organization", "organizations", str.startswith)


def autocomplete_users(store: Store, request: Request) -> Reply:
    """``GET /api/v2/users/autocomplete``: only users without a foreign identity, as Zendesk's
    (those come from another system, such as a sharing agreement)."""

    def own(user: Record) -> bool:
        return all(i["type"] != "foreign" for i in store.identities.get(user["id"], []))

    return _autocomplete(store, request, "user", "users", str.startswith, own)
