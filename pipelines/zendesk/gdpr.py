"""Carry Zendesk's permanent deletions into the warehouse.

When Zendesk permanently deletes a user, ``/api/v2/deleted_users`` shows it with its personal
data gone (name "Permanently Deleted User", email and phone null). The same run then scrubs the
copy zdsync keeps in ``users``: every personal field is cleared, the id stays so tickets still
join.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.zendesk.sql_text import string_literal
from pipelines.zendesk.warehouse import Warehouse

log = logging.getLogger(__name__)
PERMANENTLY_DELETED_NAME = "Permanently Deleted User"
USERS = "users"
DELETED_USERS = "deleted_users"
TAGS = "tags"
# Rows of other tables that are nothing but a user's personal data: deleted with the user.
IDENTITIES = "user_identities"

# Columns of ``users`` that hold personal data, and what each becomes.
SCRUBBED_USER_COLUMNS: dict[str, str | None] = {
    "name": PERMANENTLY_DELETED_NAME,
    "email": None,
    "phone": None,
    "shared_phone_number": None,
    "notes": None,
    "details": None,
    "alias": None,
    "signature": None,
    "user_fields": None,
    "photo": None,
    "external_id": None,
    "tags": None,
}


def is_permanently_deleted(deleted_user: Mapping[str, Any]) -> bool:
    """Zendesk's mark of a permanent deletion on a ``deleted_users`` row."""
    return deleted_user.get("name") == PERMANENTLY_DELETED_NAME and not deleted_user.get("email")


def deletion_complete(statuses: Sequence[Mapping[str, Any]]) -> bool:
    """True once every application that started a user's deletion has completed it."""
    started = {s["application"] for s in statuses if s["application"] != "all"}
    completed = {s["application"] for s in statuses if s["action"] == "complete"}
    return bool(started) and started <= completed


def scrub(warehouse: Warehouse) -> int:
    """Scrub every permanently deleted user's row in ``users``; returns how many were scrubbed."""
    if not (warehouse.has_table(USERS) and warehouse.has_table(DELETED_USERS)):
        return 0
    users = warehouse.qualified(USERS)
    deleted = warehouse.qualified(DELETED_USERS)
    count = warehouse.count(users, needs_scrub(deleted))
    if count:
        forget_tags(warehouse, users, deleted)
        warehouse.execute(scrub_statement(users, deleted))
        log.info("scrubbed personal data of %d permanently deleted users", count)
    if warehouse.has_table(IDENTITIES):
        warehouse.execute(forget_identities(warehouse.qualified(IDENTITIES), deleted))
    return count


def forget_tags(warehouse: Warehouse, users: str, deleted: str) -> None:
    """Drop the tags that only users now being scrubbed carried from the ``tags`` list.

    Such a tag is gone from Zendesk's list, so ``tags`` keeps it marked deleted; its name may be
    the last trace of the user's data, so it goes rather than stays.
    """
    if not warehouse.has_table(TAGS):
        return
    query = f"SELECT tags FROM {users} WHERE {needs_scrub(deleted)} AND tags IS NOT NULL"  # noqa: S608
    names = {tag for (tags,) in warehouse.select(query) for tag in _tag_list(tags)}
    if names:
        listed = ", ".join(_literal(name) for name in sorted(names))
        table = warehouse.qualified(TAGS)
        warehouse.execute(f"DELETE FROM {table} WHERE is_deleted AND name IN ({listed})")  # noqa: S608


def _tag_list(value: Any) -> list[str]:
    # JSON columns read back as text on some destinations and as values on others.
    found = json.loads(value) if isinstance(value, str) else value
    return [str(tag) for tag in found or []]


def scrub_user(user: Mapping[str, Any]) -> dict[str, Any]:
    """A users row with its personal data cleared (the pure form of the SQL below)."""
    return {**user, **{k: v for k, v in SCRUBBED_USER_COLUMNS.items() if k in user}}


# Table names come from dlt's qualifier and values are constants of this module: no user input
# reaches these statements.


def needs_scrub(deleted_users_table: str) -> str:
    """SQL condition: a users row whose user Zendesk has permanently deleted, not yet scrubbed."""
    name = _literal(PERMANENTLY_DELETED_NAME)
    # Any personal column left, not only name and email: a row scrubbed by a version that
    # cleared fewer columns is scrubbed again.
    leftover = " OR ".join(
        _differs(column, value) for column, value in SCRUBBED_USER_COLUMNS.items()
    )
    return (
        f"id IN (SELECT id FROM {deleted_users_table} WHERE name = {name} AND email IS NULL) "  # noqa: S608
        f"AND ({leftover})"
    )


def scrub_statement(users_table: str, deleted_users_table: str) -> str:
    """SQL that scrubs every permanently deleted user's row in ``users_table``."""
    assignments = ", ".join(
        f"{column} = {_literal(value)}" for column, value in SCRUBBED_USER_COLUMNS.items()
    )
    where = needs_scrub(deleted_users_table)
    return f"UPDATE {users_table} SET {assignments} WHERE {where}"  # noqa: S608


def forget_identities(identities_table: str, deleted_users_table: str) -> str:
    """SQL that deletes the identities of every permanently deleted user."""
    name = _literal(PERMANENTLY_DELETED_NAME)
    return (
        f"DELETE FROM {identities_table} WHERE user_id IN "  # noqa: S608
        f"(SELECT id FROM {deleted_users_table} WHERE name = {name} AND email IS NULL)"
    )


def _differs(column: str, scrubbed: str | None) -> str:
    if scrubbed is None:
        return f"{column} IS NOT NULL"
    return f"{column} IS DISTINCT FROM {_literal(scrubbed)}"


def _literal(value: str | None) -> str:
    return "NULL" if value is None else string_literal(value)
