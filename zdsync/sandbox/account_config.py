"""The account's configuration: groups, memberships, brands, forms, statuses, SLA policies,
business hours, macros, automations, views and organization fields.

Built from the generated records, so that everything refers to rows that exist: tickets'
``group_id``, ``brand_id``, ``ticket_form_id`` and ``custom_status_id``; memberships of real
agents, groups and organizations. Each kind is a list of records by id (``AccountConfig``);
tags are counted from the records that carry them, as Zendesk counts them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from zdsync.sandbox.account_rules import GROUP_ID_BASE, RuleParts
from zdsync.sandbox.fakedata import ANCHOR, STATUSES, Record, field_definitions, iso

BRAND_ID_BASE = 360_000_500
FORM_ID_BASE = 360_000_900
CUSTOM_STATUS_ID_BASE = 1000
GROUP_MEMBERSHIP_ID_BASE = 461_000_000
ORG_MEMBERSHIP_ID_BASE = 471_000_000
ORGANIZATION_FIELD_ID_BASE = 30_000
CREATED = iso(ANCHOR - 400 * 86400)

GROUPS = ["Support", "Billing", "Escalations", "Onboarding — Ünïcode"]
# Zendesk's time zone names; one without daylight saving time and two with.
SCHEDULES: list[tuple[str, str, tuple[int, int]]] = [
    ("Copenhagen office", "Copenhagen", (8 * 60, 16 * 60 + 30)),
    ("Americas", "Eastern Time (US & Canada)", (9 * 60, 18 * 60)),
    ("Tokyo", "Tokyo", (9 * 60, 17 * 60 + 30)),
]
HOLIDAYS: dict[str, list[tuple[str, str, str]]] = {
    "Copenhagen": [
        ("Christmas", "2026-12-24", "2026-12-26"),
        ("New Year's Day", "2027-01-01", "2027-01-01"),
        ("Constitution Day", "2026-06-05", "2026-06-05"),
    ],
    "Eastern Time (US & Canada)": [
        ("Independence Day", "2026-07-03", "2026-07-03"),
        ("Thanksgiving", "2026-11-26", "2026-11-27"),
    ],
    "Tokyo": [("Golden Week", "2026-04-29", "2026-05-05")],
}
MINUTES_PER_DAY = 24 * 60
ORGANIZATION_FIELDS: list[Record] = [
    {
        "id": ORGANIZATION_FIELD_ID_BASE,
        "key": "region",
        "type": "dropdown",
        "title": "Region",
        "custom_field_options": [
            {"id": 9101, "name": "EMEA", "value": "emea"},
            {"id": 9102, "name": "Americas", "value": "amer"},
            {"id": 9103, "name": "APAC", "value": "apac"},
        ],
    },
    {"id": ORGANIZATION_FIELD_ID_BASE + 1, "key": "account_tier", "type": "text", "title": "Tier"},
    {"id": ORGANIZATION_FIELD_ID_BASE + 2, "key": "seats", "type": "integer", "title": "Seats"},
    {
        "id": ORGANIZATION_FIELD_ID_BASE + 3,
        "key": "renewal_date",
        "type": "date",
        "title": "Renewal",
    },
]
# Kinds whose records the control surface may change: the lists below, by name.
KINDS = (
    "groups",
    "group_memberships",
    "organization_memberships",
    "brands",
    "ticket_forms",
    "custom_statuses",
    "sla_policies",
    "schedules",
    "macros",
    "automations",
    "views",
    "organization_fields",
)


@dataclass
class AccountConfig:
    """Every configuration list, each by id; holidays by schedule id.

    The changes below are the sandbox's control surface (``control.py``); callers hold the
    store's lock.
    """

    clock: Callable[[], int]
    lists: dict[str, dict[int, Record]] = field(default_factory=dict)
    holidays: dict[int, list[Record]] = field(default_factory=dict)

    def create(self, kind: str, **fields: Any) -> Record:
        """A new record of ``kind`` with the next id, made from the last one and ``fields``."""
        records = self.lists[kind]
        record_id = max(records) + 1
        now = iso(self.clock())
        record = {**records[max(records)], **fields, "id": record_id}
        record.update(created_at=now, updated_at=now)
        if "url" in record:
            record["url"] = record["url"].rsplit("/", 1)[0] + f"/{record_id}.json"
        records[record_id] = record
        if kind == "schedules":
            self.holidays[record_id] = []
        return record

    def update(self, kind: str, record_id: int, **changes: Any) -> Record:
        record = {**self.lists[kind][record_id], **changes, "updated_at": iso(self.clock())}
        self.lists[kind][record_id] = record
        return record

    def delete(self, kind: str, record_id: int) -> None:
        """Gone from its list, as a deleted macro or a removed membership is."""
        del self.lists[kind][record_id]
        if kind == "schedules":
            del self.holidays[record_id]

    def delete_holiday(self, schedule_id: int, holiday_id: int) -> None:
        kept = [h for h in self.holidays[schedule_id] if h["id"] != holiday_id]
        if len(kept) == len(self.holidays[schedule_id]):
            raise KeyError(holiday_id)
        self.holidays[schedule_id] = kept

    def rows(self, kind: str) -> list[Record]:
        """A kind's records in id order."""
        records = self.lists[kind]
        return [records[record_id] for record_id in sorted(records)]

    def truth(self) -> dict[str, dict[Any, Record]]:
        """Every list by id, holidays with their schedule's id, for a test to compare against."""
        found: dict[str, dict[Any, Record]] = {
            kind: dict(rows) for kind, rows in self.lists.items()
        }
        found["schedule_holidays"] = {
            holiday["id"]: {**holiday, "schedule_id": schedule_id}
            for schedule_id, holidays in self.holidays.items()
            for holiday in holidays
        }
        return found


def tag_counts(*records: Iterable[Record]) -> list[Record]:
    """Every tag in use and on how many records, most used first (then by name)."""
    counts: dict[str, int] = {}
    for group in records:
        for record in group:
            for tag in record.get("tags") or ():
                counts[tag] = counts.get(tag, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"name": name, "count": count} for name, count in ordered]


class ConfigGenerator(RuleParts):
    """Builds an account's configuration around its generated users, organizations, fields."""

    def __init__(self, seed: int, origin: str) -> None:
        # A stream of its own: the records generated before it stay as they were.
        self.rng = random.Random(seed * 7 + 1)
        self.origin = origin

    def build(
        self,
        users: Iterable[Record],
        organizations: Iterable[Record],
        ticket_fields: list[Record],
        clock: Callable[[], int],
    ) -> AccountConfig:
        """The configuration of an account holding ``users``, ``organizations`` and fields."""
        active = [user for user in users if user["active"]]
        agents = [user for user in active if user["role"] != "end-user"]
        orgs = {org["id"]: org for org in organizations if org["deleted_at"] is None}
        members = [user for user in active if user.get("organization_id") in orgs]
        config = AccountConfig(clock)
        parts: dict[str, Callable[[], list[Record]]] = {
            "groups": self.groups,
            "group_memberships": lambda: self.group_memberships(agents),
            "organization_memberships": lambda: self.organization_memberships(members, orgs),
            "brands": self.brands,
            "ticket_forms": lambda: self.ticket_forms(ticket_fields),
            "custom_statuses": self.custom_statuses,
            "sla_policies": self.sla_policies,
            "schedules": self.schedules,
            "macros": self.macros,
            "automations": self.automations,
            "views": self.views,
            "organization_fields": lambda: field_definitions(
                "organization_fields", ORGANIZATION_FIELDS, self.origin
            ),
        }
        for kind, build in parts.items():
            config.lists[kind] = {record["id"]: record for record in build()}
        for schedule in config.lists["schedules"].values():
            config.holidays[schedule["id"]] = self.holidays(schedule)
        return config

    def groups(self) -> list[Record]:
        live = [(name, False) for name in GROUPS]
        return [
            {
                "id": GROUP_ID_BASE + n,
                "url": self._url("groups", GROUP_ID_BASE + n),
                "name": name,
                "description": f"{name} team",
                "default": n == 0,
                "deleted": deleted,
                "is_public": True,
                **self._stamps(),
            }
            # A group deleted long ago: Zendesk lists it unless asked to leave it out.
            for n, (name, deleted) in enumerate([*live, ("Legacy tier 1", True)])
        ]

    def group_memberships(self, agents: list[Record]) -> list[Record]:
        rows: list[Record] = []
        for agent in agents:
            for n, offset in enumerate(self.rng.sample(range(len(GROUPS)), self.rng.randint(1, 2))):
                membership_id = GROUP_MEMBERSHIP_ID_BASE + len(rows)
                rows.append(
                    {
                        "id": membership_id,
                        "url": self._url("group_memberships", membership_id),
                        "user_id": agent["id"],
                        "group_id": GROUP_ID_BASE + offset,
                        "default": n == 0,
                        **self._stamps(),
                    }
                )
        return rows

    def organization_memberships(
        self, members: list[Record], orgs: dict[int, Record]
    ) -> list[Record]:
        rows: list[Record] = []
        org_ids = sorted(orgs)
        for user in members:
            # The user's own organization is its default; a few belong to a second one.
            belongs = [user["organization_id"]]
            if self.rng.random() < 0.05 and len(org_ids) > 1:
                belongs.append(self.rng.choice([i for i in org_ids if i != belongs[0]][:20]))
            for n, org_id in enumerate(belongs):
                membership_id = ORG_MEMBERSHIP_ID_BASE + len(rows)
                rows.append(
                    {
                        "id": membership_id,
                        "url": self._url("organization_memberships", membership_id),
                        "user_id": user["id"],
                        "organization_id": org_id,
                        "organization_name": orgs[org_id]["name"],
                        "default": n == 0,
                        "view_tickets": False,
                        **self._stamps(),
                    }
                )
        return rows

    def brands(self) -> list[Record]:
        names = [("Sandbox", "sandbox"), ("Sandbox Nordic", "sandbox-nordic")]
        return [
            {
                "id": BRAND_ID_BASE + n,
                "url": self._url("brands", BRAND_ID_BASE + n),
                "name": name,
                "brand_url": f"https://{subdomain}.zendesk.com",
                "subdomain": subdomain,
                "host_mapping": "",
                "has_help_center": n == 0,
                "help_center_state": "enabled" if n == 0 else "disabled",
                "active": True,
                "default": n == 0,
                "is_deleted": False,
                "signature_template": "{{agent.signature}}",
                "ticket_form_ids": [FORM_ID_BASE, FORM_ID_BASE + 1],
                **self._stamps(),
            }
            for n, (name, subdomain) in enumerate(names)
        ]

    def ticket_forms(self, ticket_fields: list[Record]) -> list[Record]:
        every = [f["id"] for f in ticket_fields]
        specs = [
            ("Default ticket form", "Contact support", every),
            ("Refund", "Ask for a refund", every[:3]),
        ]
        return [
            {
                "id": FORM_ID_BASE + n,
                "url": self._url("ticket_forms", FORM_ID_BASE + n),
                "name": name,
                "raw_name": name,
                "display_name": display,
                "raw_display_name": display,
                "position": n,
                "active": True,
                "default": n == 0,
                "end_user_visible": True,
                "in_all_brands": True,
                "restricted_brand_ids": [],
                "ticket_field_ids": field_ids,
                "agent_conditions": [],
                "end_user_conditions": [],
                **self._stamps(),
            }
            for n, (name, display, field_ids) in enumerate(specs)
        ]

    def custom_statuses(self) -> list[Record]:
        # One per ticket status, as tickets refer to them; closed tickets keep a solved status.
        labels = [(status, status.capitalize()) for status in STATUSES]
        labels.append(("pending", "Waiting on vendor"))
        rows = []
        for n, (status, label) in enumerate(labels):
            category = "solved" if status == "closed" else status
            text = {
                "agent_label": label,
                "end_user_label": label,
                "description": f"{label} tickets",
            }
            rows.append(
                {
                    "id": CUSTOM_STATUS_ID_BASE + n,
                    "status_category": category,
                    **text,
                    **{f"raw_{key}": value for key, value in text.items()},
                    "end_user_description": "",
                    "raw_end_user_description": "",
                    "active": n < len(STATUSES),
                    "default": n < len(STATUSES) and status != "closed",
                    **self._stamps(),
                }
            )
        return rows

    def schedules(self) -> list[Record]:
        return [
            {
                "id": 362_000_200 + n,
                "name": name,
                "time_zone": zone,
                # Minutes from Sunday 00:00, local time, Monday to Friday.
                "intervals": [
                    {
                        "start_time": day * MINUTES_PER_DAY + opens,
                        "end_time": day * MINUTES_PER_DAY + closes,
                    }
                    for day in range(1, 6)
                ],
                **self._stamps(),
            }
            for n, (name, zone, (opens, closes)) in enumerate(SCHEDULES)
        ]

    def holidays(self, schedule: Record) -> list[Record]:
        days = HOLIDAYS[schedule["time_zone"]]
        return [
            {"id": schedule["id"] * 10 + n, "name": name, "start_date": start, "end_date": end}
            for n, (name, start, end) in enumerate(days)
        ]
