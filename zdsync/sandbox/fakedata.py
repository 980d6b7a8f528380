"""Deterministic synthetic Zendesk data, awkward cases included.

The awkward cases a sync must survive: unicode names, emails that differ only in case, ids above
2**32, nulls where the OpenAPI file promises values, a crowd of records sharing one second, and
tickets whose ``generated_timestamp`` moved while ``updated_at`` did not.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from zdsync.sandbox.config import ADMIN_EMAIL, AGENT_EMAIL, SandboxConfig

Record = dict[str, Any]

# Data is anchored in the past so it is the same on every day the sandbox runs.
ANCHOR = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())
SPAN = 2 * 365 * 86400
TICKET_ID_JUMP = 2**32
USER_ID_BASE = 360_000_000_000
ORG_ID_BASE = 1_000

FIRST = [
    "Anna",
    "Ólafur",
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Nguyễn",
    "Aiko",
    "Chloé",
    "Mateus",
    "Amélie",
    "Björn",
    "Иван",
    "Fatima",
    "李娜",
    "O'Brien",
    "Siobhán",
    "Jürgen",
    "Priya",
    "Kwame",
]
LAST = [
    "Berg",
    "García",
    "Müller",
    "Kowalski",
    "Nakamura",
    "Dubois",
    "Silva",
    "Andersen",
    "Petrov",
    "Haddad",
    "王",
    "Smith",
    "Ó Súilleabháin",
    "Øvergaard",
    "Nowak",
    "Rossi",
]
WORDS = [
    "printer",
    "invoice",
    "login",
    "refund",
    "shipping",
    "password",
    "crash",
    "upgrade",
    "billing",
    "export",
    "café",
    "naïve",
    "emoji 🎉",
    "delay",
    "license",
    "sync",
]
TIME_ZONES = ["Copenhagen", "Eastern Time (US & Canada)", "Tokyo", "London", "Berlin"]
CHANNELS = ["web", "email", "api", "voice", "chat", "mobile"]
STATUSES = ["new", "open", "pending", "hold", "solved", "closed"]
PRIORITIES = ["low", "normal", "high", "urgent", None]
TYPES = ["problem", "incident", "question", "task", None]
APPLICATIONS = ["support", "chat", "explore"]
ROLES = ("end-user", "agent", "admin")
USER_FIELD_ID_BASE = 20_000
EXTRA_TICKET_FIELD_ID_BASE = 361_000

USER_FIELDS: list[Record] = [
    {
        "key": "plan",
        "type": "dropdown",
        "title": "Plan",
        "custom_field_options": [
            {"id": 9001, "name": "Free", "value": "free"},
            {"id": 9002, "name": "Pro", "value": "pro"},
            {"id": 9003, "name": "Enterprise", "value": "enterprise"},
        ],
    },
    {"key": "signup_date", "type": "date", "title": "Signup date"},
    {"key": "lifetime_value", "type": "decimal", "title": "Lifetime value"},
    {"key": "vip", "type": "checkbox", "title": "VIP"},
    {"key": "crm_notes", "type": "text", "title": "CRM notes"},
]
TICKET_FIELDS: list[Record] = [
    {
        "id": 360_001,
        "type": "tagger",
        "title": "Product",
        "custom_field_options": [
            {"id": 8001, "name": "Widget", "value": "widget"},
            {"id": 8002, "name": "Gadget", "value": "gadget"},
        ],
    },
    {"id": 360_002, "type": "text", "title": "Order number"},
    {"id": 360_003, "type": "decimal", "title": "Refund amount"},
    {"id": 360_004, "type": "checkbox", "title": "Escalated"},
    {"id": 360_005, "type": "date", "title": "Promised by"},
]


def extra_fields(count: int, title: str) -> list[Record]:
    """Plain text fields beyond the stock ones, so that field lists run to several pages."""
    return [
        {"key": f"extra_{n:03d}", "type": "text", "title": f"{title} {n}"} for n in range(count)
    ]


def field_definitions(kind: str, specs: list[Record], origin: str) -> list[Record]:
    """The ``/api/v2/{kind}`` definitions of ``specs``, in position order (ids ascend with it)."""
    defs: list[Record] = []
    for position, spec in enumerate(specs):
        field_id = spec.get("id", USER_FIELD_ID_BASE + position)
        defs.append(
            {
                "id": field_id,
                "url": f"{origin}/api/v2/{kind}/{field_id}.json",
                "key": spec.get("key", f"field_{field_id}"),
                "type": spec["type"],
                "title": spec["title"],
                "raw_title": spec["title"],
                "description": "",
                "raw_description": "",
                "position": position,
                "active": True,
                "system": False,
                "regexp_for_validation": None,
                "created_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:00:00Z",
                **(
                    {
                        "custom_field_options": [
                            option_record(origin, kind, field_id, option["id"], option, place)
                            for place, option in enumerate(spec["custom_field_options"])
                        ]
                    }
                    if "custom_field_options" in spec
                    else {}
                ),
            }
        )
    return defs


def option_record(
    origin: str, kind: str, field_id: int, option_id: int, given: Record, position: int
) -> Record:
    """A drop-down option as a field's ``custom_field_options`` lists it."""
    return {
        "id": option_id,
        "url": f"{origin}/api/v2/{kind}/{field_id}/options/{option_id}.json",
        "name": given["name"],
        "raw_name": given["name"],
        "value": given["value"],
        "position": position,
    }


def iso(epoch: float) -> str:
    return _iso_second(int(epoch))


# The rows one job writes, and the records one request builds, mostly share their second.
@functools.lru_cache(maxsize=1024)
def _iso_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Dataset:
    organizations: list[Record] = field(default_factory=list)
    users: list[Record] = field(default_factory=list)
    identities: dict[int, list[Record]] = field(default_factory=dict)
    tickets: list[Record] = field(default_factory=list)
    # Users deleted for good: scrubbed rows, as /api/v2/deleted_users shows them.
    purged_users: list[Record] = field(default_factory=list)
    compliance: dict[int, list[Record]] = field(default_factory=dict)
    user_fields: list[Record] = field(default_factory=list)
    ticket_fields: list[Record] = field(default_factory=list)


class Generator:
    def __init__(self, config: SandboxConfig, origin: str) -> None:
        self.config = config
        self.origin = origin
        self.rng = random.Random(config.seed)
        self.extra_user_fields = extra_fields(config.extra_user_fields, "Extra user field")
        self.extra_ticket_fields = [
            {**spec, "id": EXTRA_TICKET_FIELD_ID_BASE + n}
            for n, spec in enumerate(extra_fields(config.extra_ticket_fields, "Extra ticket field"))
        ]

    def build(self) -> Dataset:
        data = Dataset(
            user_fields=field_definitions(
                "user_fields", [*USER_FIELDS, *self.extra_user_fields], self.origin
            ),
            ticket_fields=field_definitions(
                "ticket_fields", [*TICKET_FIELDS, *self.extra_ticket_fields], self.origin
            ),
        )
        data.organizations = [self.organization(i) for i in range(self.config.organizations)]
        org_ids = [org["id"] for org in data.organizations]
        shared = self._shared_second(self.config.users)
        for i in range(self.config.users):
            user = self.user(i, org_ids, shared_second=i < shared)
            data.users.append(user)
            data.identities[user["id"]] = self.identities(user)
        self._delete_some(data)
        requesters = [u["id"] for u in data.users if u["role"] == "end-user"] or [
            data.users[0]["id"]
        ]
        agents = [u["id"] for u in data.users if u["role"] != "end-user"]
        shared = self._shared_second(self.config.tickets)
        data.tickets = [
            self.ticket(i, requesters, agents, org_ids, shared_second=i < shared)
            for i in range(self.config.tickets)
        ]
        return data

    def _shared_second(self, count: int) -> int:
        if self.config.shared_second_size is not None:
            return min(count, self.config.shared_second_size)
        return min(1200, count // 10)

    def _moment(self) -> int:
        return ANCHOR - self.rng.randrange(SPAN)

    def organization(self, i: int) -> Record:
        org_id = ORG_ID_BASE + i if i % 10 else 2**33 + i
        created = self._moment()
        updated = created + self.rng.randrange(0, ANCHOR - created + 1)
        deleted = self.rng.random() < 0.05
        return {
            "id": org_id,
            "url": f"{self.origin}/api/v2/organizations/{org_id}.json",
            "name": f"{self.rng.choice(LAST)} {self.rng.choice(['AB', 'GmbH', 'Ltd', 'Inc.'])} {i}",
            "shared_tickets": self.rng.random() < 0.3,
            "shared_comments": self.rng.random() < 0.3,
            "external_id": f"org-{i}" if i % 3 else None,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "domain_names": [f"org{i}.example.com"],
            "details": None if i % 4 == 0 else "Customer since launch",
            "notes": "",
            "group_id": None,
            "tags": self.rng.sample(["vip", "trial", "partner", "emea", "apac"], 2),
            "organization_fields": {"region": self.rng.choice(["emea", "amer", "apac"])},
            "deleted_at": iso(updated) if deleted else None,
        }

    def user(self, i: int, org_ids: list[int], *, shared_second: bool) -> Record:
        user_id = USER_ID_BASE + i * 17
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        role = "admin" if i == 0 else "agent" if i == 1 or self.rng.random() < 0.03 else "end-user"
        email = ADMIN_EMAIL if i == 0 else AGENT_EMAIL if i == 1 else f"user{i}@example.com"
        if i % 23 == 5:
            email = f"User{i}.Mixed@Example.COM"
        created = self._moment()
        updated = (
            ANCHOR - 3600
            if shared_second
            else created + self.rng.randrange(0, ANCHOR - created + 1)
        )
        return {
            "id": user_id,
            "url": f"{self.origin}/api/v2/users/{user_id}.json",
            "name": f"{first} {last}",
            "email": email,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "time_zone": self.rng.choice(TIME_ZONES),
            "iana_time_zone": "Europe/Copenhagen",
            "phone": f"+4570{i:06d}" if i % 3 else None,
            "shared_phone_number": None if i % 3 == 0 else False,
            "photo": None,
            "locale_id": 1,
            "locale": "en-US",
            "organization_id": self.rng.choice(org_ids) if org_ids and i % 5 else None,
            "role": role,
            "verified": self.rng.random() < 0.8,
            "external_id": f"crm-{i}" if i % 4 else None,
            "tags": self.rng.sample(
                ["vip", "beta", "churn-risk", "newsletter"], self.rng.randrange(3)
            ),
            "alias": "",
            "active": True,
            "shared": False,
            "shared_agent": False,
            "last_login_at": iso(updated) if role != "end-user" else None,
            "two_factor_auth_enabled": None,
            "signature": f"Regards, {first}" if role != "end-user" else "",
            "details": "",
            "notes": "" if i % 7 else f"Prefers {self.rng.choice(WORDS)}",
            "role_type": None if role == "end-user" else 0,
            "custom_role_id": None,
            "moderator": role == "admin",
            "ticket_restriction": None if role == "admin" else "requested",
            "only_private_comments": False,
            "restricted_agent": role == "agent",
            "suspended": False,
            "default_group_id": None,
            "report_csv": role == "admin",
            "user_fields": self.user_fields(i),
        }

    def user_fields(self, i: int) -> Record:
        rng = self.rng
        return {
            "plan": rng.choice(["free", "pro", "enterprise", None]),
            "signup_date": iso(self._moment())[:10] + "T00:00:00Z" if i % 2 else None,
            "lifetime_value": round(rng.uniform(0, 5000), 2) if i % 3 else None,
            "vip": rng.random() < 0.1,
            "crm_notes": None if i % 5 else f"Notes for {i} — ünïcödé",
            **dict.fromkeys(spec["key"] for spec in self.extra_user_fields),
        }

    def identities(self, user: Record) -> list[Record]:
        found = [self._identity(user, "email", user["email"], 1)]
        if user["phone"]:
            found.append(self._identity(user, "phone_number", user["phone"], 2))
        return found

    def _identity(self, user: Record, kind: str, value: str, n: int) -> Record:
        identity_id = user["id"] * 10 + n
        return {
            "id": identity_id,
            "url": f"{self.origin}/api/v2/users/{user['id']}/identities/{identity_id}.json",
            "user_id": user["id"],
            "type": kind,
            "value": value,
            "verified": user["verified"],
            "primary": n == 1,
            "created_at": user["created_at"],
            "updated_at": user["created_at"],
            "undeliverable_count": 0,
            "deliverable_state": "deliverable",
        }

    def _delete_some(self, data: Dataset) -> None:
        # Never the first two users: they are the sandbox's admin and agent logins.
        candidates = data.users[2:]
        chosen = self.rng.sample(candidates, min(self.config.deleted_users, len(candidates)))
        purged = set()
        for n, user in enumerate(chosen):
            user["active"] = False
            if n % 5 < 2:
                purged.add(user["id"])
                data.purged_users.append(scrubbed(user))
                data.compliance[user["id"]] = self.compliance(user, complete=n % 10 != 1)
        soft = [user for n, user in enumerate(chosen) if n % 5 >= 2 and user is not data.users[2]]
        if soft:
            # A case-only twin: a soft-deleted user whose address an active user now holds.
            soft[0]["email"] = data.users[2]["email"].upper()
        data.users = [u for u in data.users if u["id"] not in purged]
        for user_id in purged:
            del data.identities[user_id]

    def compliance(self, user: Record, *, complete: bool) -> list[Record]:
        start = self._moment()
        rows = [
            compliance_status(user["id"], "request_deletion", "all", start, executer=USER_ID_BASE)
        ]
        for n, app in enumerate(APPLICATIONS):
            rows.append(compliance_status(user["id"], "started", app, start + 10 + n))
            if complete or app != "chat":
                rows.append(compliance_status(user["id"], "complete", app, start + 100 + n))
        return rows

    def ticket(
        self,
        i: int,
        requesters: list[int],
        agents: list[int],
        org_ids: list[int],
        *,
        shared_second: bool,
    ) -> Record:
        rng = self.rng
        ticket_id = i + 1 if i % 50 else TICKET_ID_JUMP + i
        created = self._moment()
        updated = (
            ANCHOR - 7200 if shared_second else created + rng.randrange(0, ANCHOR - created + 1)
        )
        # Some tickets were touched only by the system: generated_timestamp moved, updated_at not.
        generated = updated + (rng.randrange(1, 86400) if i % 9 == 0 and not shared_second else 0)
        status = "deleted" if i % 97 == 3 else rng.choice(STATUSES)
        subject = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} #{i}"
        fields = self.ticket_custom_fields(i)
        return {
            "id": ticket_id,
            "url": f"{self.origin}/api/v2/tickets/{ticket_id}.json",
            "external_id": f"ext-{i}" if i % 6 == 0 else None,
            "type": rng.choice(TYPES),
            "subject": subject,
            "raw_subject": subject,
            "description": f"{subject}: {' '.join(rng.choices(WORDS, k=12))}",
            "priority": rng.choice(PRIORITIES),
            "status": status,
            "recipient": "support@sandbox.example.com",
            "requester_id": rng.choice(requesters),
            "submitter_id": rng.choice(requesters),
            "assignee_id": rng.choice(agents) if agents and status != "new" else None,
            "organization_id": rng.choice(org_ids) if org_ids and i % 3 else None,
            "group_id": 360_000_100 + i % 4,
            "collaborator_ids": [],
            "follower_ids": rng.sample(agents, min(len(agents), i % 3)),
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": True,
            "due_at": iso(updated + 86400) if i % 8 == 0 else None,
            "tags": rng.sample(["billing", "bug", "vip", "refund", "how-to"], 2),
            "custom_fields": fields,
            "fields": fields,
            "satisfaction_rating": {"score": rng.choice(["offered", "unoffered", "good", "bad"])},
            "sharing_agreement_ids": [],
            "custom_status_id": 1000 + STATUSES.index(status) if status in STATUSES else None,
            "followup_ids": [],
            "ticket_form_id": 360_000_900,
            "brand_id": 360_000_500,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
            "via": {"channel": rng.choice(CHANNELS), "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": iso(created),
            "updated_at": iso(updated),
            "generated_timestamp": generated,
        }

    def ticket_custom_fields(self, i: int) -> list[Record]:
        rng = self.rng
        return [
            {"id": 360_001, "value": rng.choice(["widget", "gadget", None])},
            {"id": 360_002, "value": f"ORD-{i:07d}" if i % 2 else None},
            {"id": 360_003, "value": f"{rng.uniform(0, 300):.2f}" if i % 5 == 0 else None},
            {"id": 360_004, "value": rng.random() < 0.1},
            {"id": 360_005, "value": iso(ANCHOR)[:10] if i % 7 == 0 else None},
            *({"id": spec["id"], "value": None} for spec in self.extra_ticket_fields),
        ]


def scrubbed(user: Record) -> Record:
    """A permanently deleted user, as ``/api/v2/deleted_users`` shows it."""
    return {
        "id": user["id"],
        "url": user["url"].replace("/users/", "/deleted_users/"),
        "name": "Permanently Deleted User",
        "email": None,
        "created_at": user["created_at"],
        "updated_at": user["updated_at"],
        "time_zone": user["time_zone"],
        "phone": None,
        "shared_phone_number": None,
        "photo": None,
        "locale_id": user["locale_id"],
        "locale": user["locale"],
        "organization_id": None,
        "role": user["role"],
        "active": False,
    }


def compliance_status(
    user_id: int, action: str, application: str, at: int, executer: int | None = None
) -> Record:
    """One row of a user's GDPR deletion progress."""
    return {
        "account_subdomain": "sandbox",
        "action": action,
        "application": application,
        "created_at": iso(at),
        "executer_id": executer,
        "user_id": user_id,
    }
