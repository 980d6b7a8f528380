"""Which rows already have a Zendesk user, for the modes, the dry run and nameless rows.

An upsert matches on external id, then on email. So a row's external id is looked up first
(``users/show_many``, one request per 100 rows), and its email when it has no external id or
Zendesk does not know that one. Emails are resolved from the warehouse's ``zendesk.users``
(active users, case-insensitively) when the database holds it; every address it cannot resolve
costs one ``users/search`` request, paced under the account's rate limit by the client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from zdsync import catalog
from zdsync.client import ZendeskClient
from zdsync.reverse_etl.plan import PlannedRow

log = logging.getLogger(__name__)

SHOW_MANY_PATH = catalog.operation("users.show_many").path
SEARCH_PATH = catalog.operation("users.search").path
SHOW_MANY_SIZE = 100
# Searches are one small request each; a few at once keep a real account near its rate limit,
# which the client enforces, instead of waiting on one round trip at a time.
SEARCH_WORKERS = 4
WAREHOUSE_COLUMNS = {"id", "email", "active"}


def mark_existing(client: ZendeskClient, items: list[PlannedRow], warehouse: Path) -> None:
    """Set ``exists`` (and ``zendesk_id``) on ``items``.

    ``exists`` stays None only when a search answers with several users, none of them holding
    the address as its primary email.
    """
    _by_external_id(client, [item for item in items if item.payload.get("external_id")])
    by_email = [item for item in items if item.exists is not True and item.payload.get("email")]
    addresses = sorted({str(item.payload["email"]).lower() for item in by_email})
    found = {
        address: Match(True, user_id)
        for address, user_id in warehouse_users_by_email(warehouse, addresses).items()
    }
    unresolved = [address for address in addresses if address not in found]
    found.update(_search_all(client, unresolved))
    log.info(
        "%d addresses to match: %d found in the warehouse, %d searched in Zendesk",
        len(addresses),
        len(addresses) - len(unresolved),
        len(unresolved),
    )
    for item in by_email:
        match = found[str(item.payload["email"]).lower()]
        item.exists, item.zendesk_id = match.exists, match.user_id


@dataclass(frozen=True)
class Match:
    """What Zendesk has for one address; ``exists`` is None when a search could not tell."""

    exists: bool | None
    user_id: int | None = None


def _by_external_id(client: ZendeskClient, keyed: list[PlannedRow]) -> None:
    for chunk in _chunks(keyed, SHOW_MANY_SIZE):
        ids = ",".join(str(item.payload["external_id"]) for item in chunk)
        body = client.get_json(SHOW_MANY_PATH, params={"external_ids": ids})
        found = {
            str(user.get("external_id", "")).lower(): user.get("id")
            for user in body.get("users") or []
        }
        for item in chunk:
            user_id = found.get(str(item.payload["external_id"]).lower())
            item.exists = user_id is not None
            item.zendesk_id = user_id


def warehouse_users_by_email(db: Path, addresses: list[str]) -> dict[str, int]:
    """Active users of the warehouse's ``zendesk.users`` by lower-cased primary email."""
    if not addresses or not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as con:
        columns = {
            name
            for (name,) in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'zendesk' AND table_name = 'users'"
            ).fetchall()
        }
        if not columns >= WAREHOUSE_COLUMNS:
            return {}
        rows = con.execute(
            "SELECT lower(email), min(id) FROM zendesk.users "
            "WHERE active AND list_contains(?, lower(email)) GROUP BY 1",
            [addresses],
        ).fetchall()
    return {str(address): int(user_id) for address, user_id in rows}


def _search_all(client: ZendeskClient, addresses: list[str]) -> Iterator[tuple[str, Match]]:
    if not addresses:
        return
    with ThreadPoolExecutor(SEARCH_WORKERS, thread_name_prefix="zdsync-search") as pool:
        yield from zip(addresses, pool.map(lambda a: search(client, a), addresses), strict=True)


def search(client: ZendeskClient, address: str) -> Match:
    """The active Zendesk user holding ``address`` (lower-cased), found by one search."""
    body = client.get_json(SEARCH_PATH, params={"query": f'email:"{address}"'})
    users = [u for u in body.get("users") or [] if isinstance(u, dict)]
    primary = [u for u in users if str(u.get("email") or "").lower() == address]
    if primary:
        return Match(True, primary[0].get("id"))
    if len(users) == 1:
        # The email: term matches every address of a user, not only the primary one.
        return Match(True, users[0].get("id"))
    return Match(None) if users else Match(False)


def _chunks(items: list[PlannedRow], size: int) -> Iterable[list[PlannedRow]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
