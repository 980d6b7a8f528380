"""Finding Zendesk organizations by external id or name, as Zendesk matches them.

External ids are looked up 100 at a time (``organizations/show_many``). Names cannot be asked
for in bulk: the organizations are read 100 a page (``organizations``) until every wanted name
is found or the list ends, which for the accounts a CRM feeds costs fewer requests than one
search per name. Both match ignoring case, as Zendesk keeps names and external ids unique.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from zdsync import catalog
from zdsync.client import CursorList, Page, ZendeskClient

SHOW_MANY_PATH = catalog.operation("organizations.show_many").path
LIST_PATH = catalog.operation("organizations.list").path
SHOW_MANY_SIZE = 100
# A few lookups at once, paced under the account's rate limit by the client: a chunk of rows
# is matched in the time of one round trip or two, not one per hundred rows.
READERS = 4


@dataclass
class Found:
    """Organization ids by lower-cased external id and by lower-cased name."""

    by_external_id: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)


def find(client: ZendeskClient, external_ids: Iterable[str], names: Iterable[str]) -> Found:
    """The organizations holding ``external_ids``, and those named ``names``."""
    return Finder(client).find(external_ids, names)


class Finder:
    """Finds organizations for one push, chunk after chunk, reading nothing twice.

    External ids already asked for are not asked again, and the list of organizations is read
    once, from where the last chunk's names left it, until every name wanted so far is found.
    Once the list has been read to its end, nothing more is asked: it named every organization
    the account had, and those this push creates are its own rows.
    """

    def __init__(self, client: ZendeskClient) -> None:
        self.client = client
        self.found = Found()
        self._asked: set[str] = set()
        self._pages: Iterator[Page] | None = None
        self._listed = False

    def find(self, external_ids: Iterable[str], names: Iterable[str]) -> Found:
        """What is known so far, after reading what ``external_ids`` and ``names`` need."""
        if self._listed:
            # The whole list has been read: every organization is known by both keys.
            return self.found
        wanted_ids = sorted({e.lower() for e in external_ids} - self._asked)
        self._asked.update(wanted_ids)
        chunks = [
            wanted_ids[start : start + SHOW_MANY_SIZE]
            for start in range(0, len(wanted_ids), SHOW_MANY_SIZE)
        ]
        with ThreadPoolExecutor(READERS, thread_name_prefix="zdsync-orgs") as pool:
            for orgs in pool.map(self._by_external_ids, chunks):
                for org in orgs:
                    _remember(self.found, org)
        missing = {n.lower() for n in names} - self.found.by_name.keys()
        if missing and not self._listed:
            self._read_list(missing)
        return self.found

    def _by_external_ids(self, chunk: list[str]) -> list[dict[str, object]]:
        body = self.client.get_json(SHOW_MANY_PATH, params={"external_ids": ",".join(chunk)})
        return [org for org in body.get("organizations") or [] if isinstance(org, dict)]

    def _read_list(self, missing: set[str]) -> None:
        if self._pages is None:
            self._pages = self.client.paginate(CursorList(LIST_PATH, "organizations"))
        for page in self._pages:
            for org in page.items:
                _remember(self.found, org)
            if not missing - self.found.by_name.keys():
                return
        self._listed = True


def _remember(found: Found, org: dict[str, object]) -> None:
    org_id = org.get("id")
    if not isinstance(org_id, int):
        return
    if org.get("external_id"):
        found.by_external_id[str(org["external_id"]).lower()] = org_id
    if org.get("name"):
        found.by_name[str(org["name"]).lower()] = org_id
