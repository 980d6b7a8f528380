"""The sandbox's state: records, export order, and the control surface tests and the demo use.

Every change goes through a method here, under one lock, so the export indexes, the JSON cache
and the ground truth never disagree.
"""

from __future__ import annotations

import copy
import threading
import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import orjson

from zdsync.sandbox.audits import Audits, event_stamp, metric_stamp
from zdsync.sandbox.config import SandboxConfig
from zdsync.sandbox.fakedata import Generator, Record, compliance_status, iso, scrubbed

DELETED_USER_KEYS = (
    "id",
    "url",
    "name",
    "email",
    "created_at",
    "updated_at",
    "time_zone",
    "phone",
    "shared_phone_number",
    "photo",
    "locale_id",
    "locale",
    "organization_id",
    "role",
    "active",
)


def epoch(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())


class Clock:
    """Wall time plus an offset that tests can advance."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class ExportIndex:
    """Records of one kind in export order, (timestamp, id), with their JSON cached."""

    def __init__(
        self, records: dict[int, Record], stamp: Callable[[Record], int], *, eager: bool = True
    ) -> None:
        self.records = records
        self.stamp = stamp
        self.keys = sorted((stamp(r), r["id"]) for r in records.values())
        # Bumped on every change, so readers can cache what they derive from the records.
        self.version = 0
        # Serialised up front: a 100,000-ticket export then costs joins, not encodes, so the
        # sandbox stays faster than any client reading it.
        # (Not ``eager``: on first read, for an index several times larger than the tickets.)
        self._json: dict[int, bytes] = (
            {record_id: orjson.dumps(record) for record_id, record in records.items()}
            if eager
            else {}
        )

    def json(self, record_id: int) -> bytes:
        cached = self._json.get(record_id)
        if cached is None:
            cached = self._json[record_id] = orjson.dumps(self.records[record_id])
        return cached

    def put(self, record: Record) -> None:
        """Insert or re-position a record after it changed."""
        old = self.records.get(record["id"])
        if old is not None:
            old_key = (self.stamp(old), old["id"])
            at = bisect_left(self.keys, old_key)
            if at < len(self.keys) and self.keys[at] == old_key:
                del self.keys[at]
        self.records[record["id"]] = record
        self._json.pop(record["id"], None)
        insort(self.keys, (self.stamp(record), record["id"]))
        self.version += 1

    def remove(self, record_id: int) -> None:
        record = self.records.pop(record_id)
        key = (self.stamp(record), record_id)
        del self.keys[bisect_left(self.keys, key)]
        self._json.pop(record_id, None)
        self.version += 1

    def after(self, position: tuple[int, int], horizon: int) -> Iterator[tuple[int, int]]:
        """Keys strictly after ``position`` and stamped no later than ``horizon``."""
        # Walk by index: slicing would copy the whole tail of the index on every page.
        keys = self.keys
        for at in range(bisect_right(keys, position), len(keys)):
            key = keys[at]
            if key[0] > horizon:
                return
            yield key


class Store:
    """All sandbox data and the operations on it."""

    def __init__(self, config: SandboxConfig, origin: str) -> None:
        self.config = config
        self.origin = origin
        self.clock = Clock()
        self.lock = threading.RLock()
        data = Generator(config, origin).build()
        self.tickets = ExportIndex({t["id"]: t for t in data.tickets}, _ticket_stamp)
        self.users = ExportIndex({u["id"]: u for u in data.users}, _updated_stamp)
        self.organizations = ExportIndex({o["id"]: o for o in data.organizations}, _updated_stamp)
        self.ticket_events = ExportIndex({}, event_stamp, eager=False)
        self.ticket_metric_events = ExportIndex({}, metric_stamp, eager=False)
        self.audits = Audits(self.ticket_events, self.ticket_metric_events, origin, config.seed)
        self.audits.generate(data.tickets, [u["id"] for u in data.users if u["role"] != "end-user"])
        self.identities = data.identities
        self.purged: dict[int, Record] = {u["id"]: u for u in data.purged_users}
        self.compliance = data.compliance
        self.user_fields = data.user_fields
        self.ticket_fields = data.ticket_fields
        self.next_user_id = max([*self.users.records, *self.purged, 0]) + 17
        # Every user has the same keys; new ones copy them from the first generated user.
        self._user_keys = list(next(iter(self.users.records.values())))
        self._identity_seq = 0
        self._by_email: dict[str, int] = {}
        self._by_external_id: dict[str, int] = {}
        for user in self.users.records.values():
            self._index(user)

    # ---- reading -------------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock.now())

    def horizon(self) -> int:
        return self.now() - self.config.horizon_seconds

    def deleted_users(self) -> list[Record]:
        """Soft-deleted and permanently deleted users, by id, as the deleted_users list shows."""
        soft = [
            {key: user[key] for key in DELETED_USER_KEYS}
            for user in self.users.records.values()
            if not user["active"]
        ]
        for row in soft:
            row["url"] = row["url"].replace("/users/", "/deleted_users/")
        return sorted([*soft, *self.purged.values()], key=lambda r: r["id"])

    def snapshot(self) -> dict[str, Any]:
        """Deep copy of the ground truth, for tests to compare a warehouse against."""
        with self.lock:
            return copy.deepcopy(
                {
                    "tickets": self.tickets.records,
                    "users": self.users.records,
                    "organizations": self.organizations.records,
                    "identities": self.identities,
                    "deleted_users": {r["id"]: r for r in self.deleted_users()},
                    "compliance_deletion_statuses": self.compliance,
                }
            )

    def find_user(self, email: str | None = None, external_id: str | None = None) -> Record | None:
        """An active user by external id or email (primary or secondary), case-insensitively."""
        user_id = None
        if external_id:
            user_id = self._by_external_id.get(external_id.lower())
        if user_id is None and email:
            user_id = self._by_email.get(email.lower())
        return None if user_id is None else self.users.records[user_id]

    def _index(self, user: Record) -> None:
        if not user["active"]:
            return
        if user.get("external_id"):
            self._by_external_id[user["external_id"].lower()] = user["id"]
        for address in self.emails_of(user):
            self._by_email[address] = user["id"]

    def _unindex(self, user: Record) -> None:
        if user.get("external_id"):
            self._by_external_id.pop(user["external_id"].lower(), None)
        for address in self.emails_of(user):
            if self._by_email.get(address) == user["id"]:
                del self._by_email[address]

    def put_user(self, user: Record) -> None:
        """Store a new version of a user, keeping the lookup indexes right."""
        old = self.users.records.get(user["id"])
        if old is not None:
            self._unindex(old)
        self.users.put(user)
        self._index(user)

    def emails_of(self, user: Record) -> set[str]:
        found = {(user.get("email") or "").lower()}
        found.update(
            identity["value"].lower()
            for identity in self.identities.get(user["id"], [])
            if identity["type"] == "email"
        )
        return found - {""}

    # ---- control surface -----------------------------------------------------------------

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self.clock.advance(seconds)

    def update_user(self, user_id: int, **changes: Any) -> Record:
        with self.lock:
            user = {**self.users.records[user_id], **changes, "updated_at": iso(self.now())}
            self.put_user(user)
            return user

    def soft_delete_user(self, user_id: int) -> Record:
        return self.update_user(user_id, active=False)

    def permanently_delete_user(self, user_id: int, executer_id: int | None = None) -> Record:
        """Scrub a user for good, and start its compliance deletion in every application."""
        with self.lock:
            user = self.users.records[user_id]
            if user["active"]:
                user = self.soft_delete_user(user_id)
            self._unindex(user)
            self.users.remove(user_id)
            self.identities.pop(user_id, None)
            self.purged[user_id] = row = scrubbed(user)
            now = self.now()
            self.compliance[user_id] = [
                compliance_status(user_id, "request_deletion", "all", now, executer_id),
                *(compliance_status(user_id, "started", app, now) for app in ("support", "chat")),
            ]
            return row

    def complete_compliance_deletion(self, user_id: int, application: str) -> None:
        with self.lock:
            self.compliance[user_id].append(
                compliance_status(user_id, "complete", application, self.now())
            )

    def update_ticket(
        self,
        ticket_id: int,
        *,
        by: int | None = None,
        comment: Record | None = None,
        **changes: Any,
    ) -> Record:
        """An agent-visible change: both updated_at and generated_timestamp move, and the
        ticket gains an audit of what changed (and of ``comment``, by ``by``)."""
        with self.lock:
            now = self.now()
            before = self.tickets.records[ticket_id]
            ticket = {**before, **changes}
            ticket.update(updated_at=iso(now), generated_timestamp=now)
            self.tickets.put(ticket)
            self.audits.changed(before, ticket, now, by, comment)
            return ticket

    def delete_ticket(self, ticket_id: int) -> Record:
        return self.update_ticket(ticket_id, status="deleted")

    def touch_ticket(self, ticket_id: int) -> Record:
        """A system-only change: generated_timestamp moves, updated_at does not."""
        with self.lock:
            ticket = {**self.tickets.records[ticket_id], "generated_timestamp": self.now()}
            self.tickets.put(ticket)
            return ticket

    def create_ticket(
        self, *, by: int | None = None, comment: Record | None = None, **fields: Any
    ) -> Record:
        with self.lock:
            template = next(iter(self.tickets.records.values()))
            ticket_id = max(self.tickets.records) + 1
            now = self.now()
            ticket = {
                **template,
                **fields,
                "id": ticket_id,
                "url": f"{self.origin}/api/v2/tickets/{ticket_id}.json",
                "created_at": iso(now),
                "updated_at": iso(now),
                "generated_timestamp": now,
            }
            self.tickets.put(ticket)
            self.audits.created(ticket, now, by, comment)
            return ticket

    def update_organization(self, org_id: int, **changes: Any) -> Record:
        with self.lock:
            org = {**self.organizations.records[org_id], **changes, "updated_at": iso(self.now())}
            self.organizations.put(org)
            return org

    def create_organization(self, fields: Record) -> Record:
        """A new organization with the next id; ``fields`` hold everything but the stamps."""
        with self.lock:
            org_id = max(self.organizations.records) + 1
            now = iso(self.now())
            org = {**fields, "id": org_id, "created_at": now, "updated_at": now}
            org["url"] = f"{self.origin}/api/v2/organizations/{org_id}.json"
            self.organizations.put(org)
            return org

    def delete_organization(self, org_id: int) -> Record:
        return self.update_organization(org_id, deleted_at=iso(self.now()))

    # ---- writes from the API -------------------------------------------------------------

    def add_identity(self, user: Record, kind: str, value: str) -> None:
        self._identity_seq += 1
        identity_id = user["id"] * 10 + 5 + self._identity_seq
        now = iso(self.now())
        self.identities.setdefault(user["id"], []).append(
            {
                "id": identity_id,
                "url": f"{self.origin}/api/v2/users/{user['id']}/identities/{identity_id}.json",
                "user_id": user["id"],
                "type": kind,
                "value": value,
                "verified": False,
                "primary": False,
                "created_at": now,
                "updated_at": now,
                "undeliverable_count": 0,
                "deliverable_state": "deliverable",
            }
        )
        if kind == "email" and user["active"]:
            self._by_email[value.lower()] = user["id"]

    def create_user(self, fields: Record) -> Record:
        user_id = self.next_user_id
        self.next_user_id += 17
        now = iso(self.now())
        user: Record = dict.fromkeys(self._user_keys)
        user.update(
            id=user_id,
            url=f"{self.origin}/api/v2/users/{user_id}.json",
            created_at=now,
            updated_at=now,
            role="end-user",
            active=True,
            verified=False,
            tags=[],
            user_fields={},
            locale="en-US",
            locale_id=1,
            time_zone="Copenhagen",
            iana_time_zone="Europe/Copenhagen",
            alias="",
            details="",
            notes="",
            signature="",
            shared=False,
            shared_agent=False,
            suspended=False,
            moderator=False,
            only_private_comments=False,
            restricted_agent=False,
            report_csv=False,
        )
        user.update(fields)
        self.identities[user_id] = []
        if user.get("email"):
            self.add_identity(user, "email", user["email"])
            self.identities[user_id][0]["primary"] = True
        self.put_user(user)
        return user


def _ticket_stamp(record: Record) -> int:
    return int(record["generated_timestamp"])


def _updated_stamp(record: Record) -> int:
    return epoch(record["updated_at"])
