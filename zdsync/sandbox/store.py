"""The sandbox's state: records, export order, and the control surface tests and the demo use.

Every change goes through a method here, under one lock, so the export indexes, the JSON cache
and the ground truth never disagree.
"""

from __future__ import annotations

import copy
import threading
import time
from datetime import datetime
from typing import Any

from zdsync.sandbox.account_config import ConfigGenerator
from zdsync.sandbox.audits import Audits, event_stamp, metric_stamp
from zdsync.sandbox.config import ADMIN_EMAIL, SandboxConfig
from zdsync.sandbox.export_index import ExportIndex
from zdsync.sandbox.fakedata import Generator, Record, compliance_status, iso, scrubbed
from zdsync.sandbox.new_user import new_user
from zdsync.sandbox.ratings import Answer, Ratings, summary
from zdsync.sandbox.trigger_data import seeded as seeded_triggers

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


class Store:
    """All sandbox data and the operations on it."""

    def __init__(self, config: SandboxConfig, origin: str) -> None:
        self.config = config
        self.origin = origin
        self.clock = Clock()
        self.lock = threading.RLock()
        data = Generator(config, origin).build()
        self.ticket_events = ExportIndex({}, event_stamp, eager=False)
        self.ticket_metric_events = ExportIndex({}, metric_stamp, eager=False)
        self.audits = Audits(self.ticket_events, self.ticket_metric_events, origin, config.seed)
        self.audits.generate(data.tickets, [u["id"] for u in data.users if u["role"] != "end-user"])
        # Before the tickets are indexed: each ticket's rating summary is part of its JSON.
        self.ratings = Ratings(config, origin)
        self.ratings.generate(data.tickets, self.audits.of_ticket, self.now())
        self.tickets = ExportIndex({t["id"]: t for t in data.tickets}, _ticket_stamp)
        self.users = ExportIndex({u["id"]: u for u in data.users}, _updated_stamp)
        self.organizations = ExportIndex({o["id"]: o for o in data.organizations}, _updated_stamp)
        self.identities = data.identities
        self.purged: dict[int, Record] = {u["id"]: u for u in data.purged_users}
        self.compliance = data.compliance
        self.user_fields = data.user_fields
        self.ticket_fields = data.ticket_fields
        self.account = ConfigGenerator(config.seed, origin).build(
            self.users.records.values(),
            self.organizations.records.values(),
            self.ticket_fields,
            self.now,
        )
        self.next_user_id = max([*self.users.records, *self.purged, 0]) + 17
        # Every user has the same keys; new ones copy them from the first generated user.
        self._user_keys = list(next(iter(self.users.records.values())))
        self._identity_seq = 0
        # (``name`` or ``external_id``, lower-cased value) to a live organization's id, once read.
        self._org_owners: dict[tuple[str, str], int] | None = None
        self._by_email: dict[str, int] = {}
        self._by_external_id: dict[str, int] = {}
        for user in self.users.records.values():
            self._index(user)
        admin = self.find_user(email=ADMIN_EMAIL)
        self.triggers = seeded_triggers(origin, admin["id"] if admin else 0)

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
                    "triggers": self.triggers.triggers,
                    "trigger_categories": self.triggers.categories,
                    "user_fields": {f["id"]: f for f in self.user_fields},
                    "satisfaction_ratings": self.ratings.records,
                    **self.account.truth(),
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

    def rate_ticket(self, ticket_id: int, **answer: Any) -> Record:
        """The requester's ``Answer`` to the ticket's survey: its rating made or changed, and
        the ticket's summary of it, a system-only change as far as the ticket's stamps go."""
        with self.lock:
            ticket, now = self.tickets.records[ticket_id], self.now()
            audits = self.audits.of_ticket(ticket_id)
            rating = self.ratings.rate(ticket, audits, Answer(**answer), now)
            summed = {"satisfaction_rating": summary(rating), "generated_timestamp": now}
            self.tickets.put({**ticket, **summed})
            return copy.deepcopy(rating)

    def create_ticket(
        self, *, by: int | None = None, comment: Record | None = None, **fields: Any
    ) -> Record:
        with self.lock:
            template = next(iter(self.tickets.records.values()))
            ticket_id = self.tickets.next_id()
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
            before = self.organizations.records[org_id]
            org = {**before, **changes, "updated_at": iso(self.now())}
            self._put_organization(org, before)
            return org

    def create_organization(self, fields: Record) -> Record:
        """A new organization with the next id; ``fields`` hold everything but the stamps."""
        with self.lock:
            org_id = self.organizations.next_id()
            now = iso(self.now())
            org = {**fields, "id": org_id, "created_at": now, "updated_at": now}
            org["url"] = f"{self.origin}/api/v2/organizations/{org_id}.json"
            self._put_organization(org, None)
            return org

    def organization_owning(self, key: str, value: str) -> Record | None:
        """The live organization whose ``key`` (``name`` or ``external_id``) is ``value``, in
        any case, as Zendesk keeps both unique."""
        with self.lock:
            if self._org_owners is None:
                self._org_owners = {}
                for org in self.organizations.records.values():
                    self._own(org)
            org_id = self._org_owners.get((key, value.lower()))
            return None if org_id is None else self.organizations.records[org_id]

    def _put_organization(self, org: Record, before: Record | None) -> None:
        # A bulk job checks every row's name and external id: an index, not a scan of them all.
        if self._org_owners is not None:
            if before is not None:
                for owned in _owned_keys(before):
                    if self._org_owners.get(owned) == before["id"]:
                        del self._org_owners[owned]
            self._own(org)
        self.organizations.put(org)

    def _own(self, org: Record) -> None:
        assert self._org_owners is not None
        if org["deleted_at"] is None:
            for owned in _owned_keys(org):
                self._org_owners[owned] = org["id"]

    def delete_organization(self, org_id: int) -> Record:
        return self.update_organization(org_id, deleted_at=iso(self.now()))

    # ---- writes from the API -------------------------------------------------------------

    def next_identity_id(self) -> int:
        """An identity id no identity has had, higher than every generated one."""
        with self.lock:
            if not self._identity_seq:
                ids = [i["id"] for rows in self.identities.values() for i in rows]
                self._identity_seq = max([*ids, self.next_user_id * 10])
            self._identity_seq += 1
            return self._identity_seq

    def add_identity(self, user: Record, kind: str, value: str) -> None:
        identity_id = self.next_identity_id()
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

    def replace_identities(self, user_id: int, identities: list[Record]) -> Record:
        """Give a user a new set of identities; its primary email becomes the user's email."""
        with self.lock:
            user = self.users.records[user_id]
            self._unindex(user)
            self.identities[user_id] = identities
            primary = next(
                (i["value"] for i in identities if i["type"] == "email" and i["primary"]), None
            )
            changed = {**user, "email": primary, "updated_at": iso(self.now())}
            self.users.put(changed)
            self._index(changed)
            return changed

    def create_user(self, fields: Record) -> Record:
        user_id = self.next_user_id
        self.next_user_id += 17
        now = iso(self.now())
        user: Record = dict.fromkeys(self._user_keys)
        user.update(new_user(), id=user_id, created_at=now, updated_at=now)
        user["url"] = f"{self.origin}/api/v2/users/{user_id}.json"
        user.update(fields)
        self.identities[user_id] = []
        if user.get("email"):
            self.add_identity(user, "email", user["email"])
            self.identities[user_id][0]["primary"] = True
        self.put_user(user)
        return user


def _owned_keys(org: Record) -> list[tuple[str, str]]:
    return [(key, str(org[key]).lower()) for key in ("name", "external_id") if org.get(key)]


def _ticket_stamp(record: Record) -> int:
    return int(record["generated_timestamp"])


def _updated_stamp(record: Record) -> int:
    return epoch(record["updated_at"])
