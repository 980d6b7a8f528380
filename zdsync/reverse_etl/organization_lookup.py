"""Finding Zendesk organizations by external id or name, as Zendesk matches them.

External ids are looked up 100 at a time (``organizations/show_many``). Names cannot be asked
for in bulk: the organizations are read 100 a page (``organizations``) until every wanted name
is found or the list ends, which for the accounts a CRM feeds costs fewer requests than one
search per name. Both match ignoring case, as Zendesk keeps names and external ids unique.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from zdsync import catalog
from zdsync.client import CursorList, ZendeskClient

SHOW_MANY_PATH = catalog.operation("organizations.show_many").path
LIST_PATH = catalog.operation("organizations.list").path
SHOW_MANY_SIZE = 100


@dataclass
class Found:
    """Organization ids by lower-cased external id and by lower-cased name."""

    by_external_id: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)


def find(client: ZendeskClient, external_ids: Iterable[str], names: Iterable[str]) -> Found:
    """The organizations holding ``external_ids``, and those named ``names``."""
    found = Found()
    wanted_ids = sorted({e.lower() for e in external_ids})
    for start in range(0, len(wanted_ids), SHOW_MANY_SIZE):
        chunk = wanted_ids[start : start + SHOW_MANY_SIZE]
        body = client.get_json(SHOW_MANY_PATH, params={"external_ids": ",".join(chunk)})
        for org in body.get("organizations") or []:
            _remember(found, org)
    missing = {n.lower() for n in names} - found.by_name.keys()
    if missing:
        for page in client.paginate(CursorList(LIST_PATH, "organizations")):
            for org in page.items:
                _remember(found, org)
            if not missing - found.by_name.keys():
                break
    return found


def _remember(found: Found, org: dict[str, object]) -> None:
    org_id = org.get("id")
    if not isinstance(org_id, int):
        return
    if org.get("external_id"):
        found.by_external_id[str(org["external_id"]).lower()] = org_id
    if org.get("name"):
        found.by_name[str(org["name"]).lower()] = org_id
