"""Ordinary reads: every list endpoint, declared once in ``LISTINGS``, and single records.

Lists follow Zendesk's paging rules (``paging``): cursor with ``page[size]``, offset otherwise,
at most 100 rows a page. Users, tickets and organizations lists leave out deleted records, as
Zendesk's do: those are in the exports and in ``/api/v2/deleted_users``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from zdsync import catalog
from zdsync.sandbox import identities, members
from zdsync.sandbox.fakedata import ROLES, Record
from zdsync.sandbox.paging import Selection, cursor_page, is_cursor_request, offset_page
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import NOT_FOUND, Reply, Request, error_reply, json_reply

Select = Callable[[Store, Request, tuple[str, ...]], list[Record] | Reply]


@dataclass(frozen=True)
class Listing:
    """One list endpoint.

    Attributes:
        operation: The catalog operation it serves; its path's placeholders go to ``select``
            and its rows go under the operation's response key.
        select: The rows a request selects, in the list's order, or an error reply. It reads
            only the path's groups and the ``filters``.
        filters: Query parameters that narrow the list; every link repeats them.
        offset: Whether it pages by offset when no ``page[size]`` is given; if not, it then
            answers every row at once, in ``position`` order.
        by_id: Whether cursors encode row ids (the rows are in id order) or row places.
        index: The store's export index the rows derive from, if any; while its version holds,
            a selection is reused rather than rebuilt for every page.
    """

    operation: str
    select: Select
    filters: tuple[str, ...] = ()
    offset: bool = True
    by_id: bool = True
    index: str | None = None

    @property
    def key(self) -> str:
        return str(catalog.operation(self.operation).response_key)


Chosen = tuple[list[Record], list[int]]


class Selections:
    """Recent selections (rows and cursor positions), kept while their records are unchanged.

    Building a selection walks every record, about 0.2 s for 100,000 tickets here; a client
    paging through them would pay it on every page.
    """

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._kept: dict[tuple[object, ...], Chosen] = {}

    def get(self, key: tuple[object, ...]) -> Chosen | None:
        return self._kept.get(key)

    def keep(self, key: tuple[object, ...], chosen: Chosen) -> None:
        self._kept[key] = chosen
        if len(self._kept) > self.size:
            del self._kept[next(iter(self._kept))]


def by_id(records: Iterable[Record]) -> list[Record]:
    return sorted(records, key=lambda record: int(record["id"]))


def in_id_order(records: Mapping[int, Record], keep: Callable[[Record], bool]) -> list[Record]:
    """The records ``keep`` accepts, by id (the store keys them by id)."""
    return [record for record in map(records.__getitem__, sorted(records)) if keep(record)]


def _users(store: Store, request: Request, groups: tuple[str, ...]) -> list[Record] | Reply:
    roles = set(request.values("role") + request.values("role[]"))
    if roles - set(ROLES):
        return error_reply(400, "InvalidValue", f"role must be one of {', '.join(ROLES)}")
    permission_set = request.query.get("permission_set")
    if permission_set is not None and not permission_set.isdigit():
        return error_reply(400, "InvalidValue", "permission_set must be an integer")
    if "external_id" in request.query:
        found = store.find_user(external_id=request.query["external_id"])
        candidates = {found["id"]: found} if found else {}
    else:
        candidates = store.users.records
    return in_id_order(
        candidates,
        lambda user: (
            user["active"]
            and (not roles or user["role"] in roles)
            and (permission_set is None or user["custom_role_id"] == int(permission_set))
        ),
    )


def select_users(store: Store, request: Request) -> list[Record] | Reply:
    """Active users as ``/api/v2/users`` selects them, role filters applied."""
    return _users(store, request, ())


def _tickets(store: Store, request: Request, groups: tuple[str, ...]) -> list[Record]:
    external_id = request.query.get("external_id")
    return in_id_order(
        store.tickets.records,
        lambda ticket: (
            ticket["status"] != "deleted"
            and (external_id is None or ticket["external_id"] == external_id)
        ),
    )


def _organizations(store: Store, request: Request, groups: tuple[str, ...]) -> list[Record]:
    return in_id_order(store.organizations.records, lambda org: org["deleted_at"] is None)


def _compliance(store: Store, request: Request, groups: tuple[str, ...]) -> list[Record] | Reply:
    user_id = int(groups[0])
    if user_id not in store.users.records and user_id not in store.purged:
        return error_reply(404, *NOT_FOUND)
    rows = store.compliance.get(user_id, [])
    application = request.query.get("application")
    return [row for row in rows if not application or row["application"] == application]


_ROLE_FILTERS = ("role", "role[]", "permission_set")


def _members_of(
    of: members.Members,
) -> Callable[[Store, Request, tuple[str, ...]], members.Selected]:
    return lambda store, request, groups: of(store, groups, _users(store, request, ()))


LISTINGS: tuple[Listing, ...] = (
    Listing(
        "users.list",
        _users,
        ("role", "role[]", "permission_set", "external_id"),
        index="users",
    ),
    Listing("users.list_of_group", _members_of(members.of_group), _ROLE_FILTERS),
    Listing("users.list_of_organization", _members_of(members.of_organization), _ROLE_FILTERS),
    Listing("tickets.list", _tickets, ("external_id",), index="tickets"),
    Listing("organizations.list", _organizations, index="organizations"),
    Listing(
        "deleted_users.list",
        lambda s, r, g: s.deleted_users(),
        index="users",
    ),
    Listing(
        "users.compliance_deletion_statuses",
        _compliance,
        ("application",),
        by_id=False,
    ),
    Listing("identities.list", identities.listed, ("type[]",)),
    # In the order the account sets (reorder moves them), not by id.
    Listing(
        "user_fields.list",
        lambda s, r, g: sorted(s.user_fields, key=lambda f: (f["position"], f["id"])),
        by_id=False,
    ),
    # Zendesk offers cursor paging or none at all here, not offset.
    Listing(
        "ticket_fields.list",
        lambda s, r, g: by_id(s.ticket_fields),
        offset=False,
    ),
)


def serve(
    store: Store,
    listing: Listing,
    request: Request,
    groups: tuple[str, ...],
    selections: Selections,
) -> Reply:
    """One page of a list, in the paging style the request asks for."""
    carried = [(k, v) for k, v in request.pairs if k in listing.filters]
    with store.lock:
        chosen = _choose(store, listing, request, groups, carried, selections)
        if isinstance(chosen, Reply):
            return chosen
        rows, positions = chosen
        selection = Selection(
            base_url=store.origin + request.path.removesuffix(".json"),
            key=listing.key,
            rows=rows,
            positions=positions,
            carried=carried,
        )
        if is_cursor_request(request):
            return cursor_page(selection, request, store.config.list_page_over_limit)
        if listing.offset:
            return offset_page(selection, request)
        everything = sorted(rows, key=lambda row: int(row["position"]))
        return json_reply(
            200,
            {listing.key: everything, "next_page": None, "previous_page": None, "count": len(rows)},
        )


def _choose(
    store: Store,
    listing: Listing,
    request: Request,
    groups: tuple[str, ...],
    carried: list[tuple[str, str]],
    selections: Selections,
) -> Chosen | Reply:
    key: tuple[object, ...] | None = None
    if listing.index is not None:
        version = getattr(store, listing.index).version
        key = (listing.operation, groups, tuple(carried), version)
        kept = selections.get(key)
        if kept is not None:
            return kept
    rows = listing.select(store, request, groups)
    if isinstance(rows, Reply):
        return rows
    chosen = rows, [row["id"] for row in rows] if listing.by_id else list(range(len(rows)))
    if key is not None:
        selections.keep(key, chosen)
    return chosen


def show_user(store: Store, user_id: int) -> Reply:
    user = store.users.records.get(user_id)
    return json_reply(200, {"user": user}) if user else error_reply(404, *NOT_FOUND)


def show_many_users(store: Store, request: Request) -> Reply:
    if "ids" in request.query:
        wanted = [int(i) for i in request.query["ids"].split(",") if i.strip().isdigit()]
        users = [store.users.records[i] for i in wanted if i in store.users.records]
    elif "external_ids" in request.query:
        found = (store.find_user(external_id=e) for e in request.query["external_ids"].split(","))
        users = [u for u in found if u is not None]
    else:
        return error_reply(400, "InvalidValue", "ids or external_ids is required")
    return json_reply(
        200,
        {"users": users[:100], "next_page": None, "previous_page": None, "count": len(users[:100])},
    )


def show_organization(store: Store, org_id: int) -> Reply:
    org = store.organizations.records.get(org_id)
    return json_reply(200, {"organization": org}) if org else error_reply(404, *NOT_FOUND)


def show_ticket(store: Store, ticket_id: int) -> Reply:
    ticket = store.tickets.records.get(ticket_id)
    if ticket is None or ticket["status"] == "deleted":
        return error_reply(404, *NOT_FOUND)
    return json_reply(200, {"ticket": ticket})
