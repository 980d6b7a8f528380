"""Users of one group or one organization, as ``/groups/{id}/users`` and
``/organizations/{id}/users`` list and count them.

A group's users are the agents with a membership in it; an organization's are the users whose
organization it is or who hold a membership in it. Both take the users list's role filters.
"""

from __future__ import annotations

from collections.abc import Callable

from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import NOT_FOUND, Reply, error_reply

# The users the users list selects for a request (its role filters applied), or its refusal.
Selected = list[Record] | Reply
Members = Callable[[Store, tuple[str, ...], Selected], Selected]


def of_group(store: Store, groups: tuple[str, ...], selected: Selected) -> Selected:
    """The ``selected`` users with a membership in the group ``groups[0]``."""
    group_id = int(groups[0])
    group = store.account.lists["groups"].get(group_id)
    if group is None or group.get("deleted"):
        return error_reply(404, *NOT_FOUND)
    memberships = store.account.lists["group_memberships"].values()
    return _among(selected, {m["user_id"] for m in memberships if m["group_id"] == group_id})


def of_organization(store: Store, groups: tuple[str, ...], selected: Selected) -> Selected:
    """The ``selected`` users of the organization ``groups[0]``, by their own or a membership."""
    org_id = int(groups[0])
    org = store.organizations.records.get(org_id)
    if org is None or org["deleted_at"] is not None:
        return error_reply(404, *NOT_FOUND)
    memberships = store.account.lists["organization_memberships"].values()
    members = {m["user_id"] for m in memberships if m["organization_id"] == org_id}
    members |= {u["id"] for u in store.users.records.values() if u["organization_id"] == org_id}
    return _among(selected, members)


def _among(selected: Selected, user_ids: set[int]) -> Selected:
    if isinstance(selected, Reply):
        return selected
    return [user for user in selected if user["id"] in user_ids]
