"""The account's business rules as the sandbox serves them: SLA policies, macros, automations
and views, each referring to the account's groups."""

from __future__ import annotations

import random

from zdsync.sandbox.fakedata import ANCHOR, Record, iso

GROUP_ID_BASE = 360_000_100


class RuleParts:
    """The rule lists of ``ConfigGenerator``, which holds the random stream and the origin."""

    rng: random.Random
    origin: str

    def _url(self, path: str, record_id: int) -> str:
        return f"{self.origin}/api/v2/{path}/{record_id}.json"

    def _stamps(self) -> dict[str, str]:
        created = ANCHOR - 400 * 86400 + self.rng.randrange(300 * 86400)
        return {"created_at": iso(created), "updated_at": iso(created + self.rng.randrange(86400))}

    def sla_policies(self) -> list[Record]:
        targets = {"urgent": 30, "high": 60, "normal": 240, "low": 480}

        def metrics(scale: int, business_hours: bool) -> list[Record]:
            return [
                {
                    "priority": priority,
                    "metric": metric,
                    "target": minutes * factor * scale,
                    "business_hours": business_hours,
                }
                for priority, minutes in targets.items()
                for metric, factor in (("first_reply_time", 1), ("requester_wait_time", 8))
            ]

        specs = [
            (
                "Enterprise",
                "VIP organizations",
                [{"field": "organization_id", "operator": "is", "value": "1001"}],
                1,
                False,
            ),
            ("Standard", "Every other ticket", [], 2, True),
        ]
        return [
            {
                "id": 362_000_100 + n,
                "url": self._url("slas/policies", 362_000_100 + n),
                "title": title,
                "description": description,
                "position": n + 1,
                "filter": {"all": conditions, "any": []},
                "policy_metrics": metrics(scale, business_hours),
                **self._stamps(),
            }
            for n, (title, description, conditions, scale, business_hours) in enumerate(specs)
        ]

    def macros(self) -> list[Record]:
        specs = [
            (
                "Close and thank",
                [("status", "solved"), ("comment_value", "Thanks for reaching out!")],
            ),
            ("Escalate to tier 2", [("group_id", str(GROUP_ID_BASE + 2)), ("priority", "high")]),
            (
                "Refund: ask for order number",
                [("comment_value", "Which order is it?"), ("set_tags", "refund")],
            ),
            (
                "Billing: take it",
                [("assignee_id", "current_user"), ("group_id", str(GROUP_ID_BASE + 1))],
            ),
            ("Mark as spam", [("status", "closed"), ("current_tags", "spam")]),
        ]
        return [
            {
                "id": 362_000_300 + n,
                "url": self._url("macros", 362_000_300 + n),
                "title": title,
                "description": None if n % 2 else f"{title}, in one click",
                "active": n != 4,
                "default": False,
                "position": n,
                "actions": [{"field": f, "value": v} for f, v in actions],
                "restriction": {
                    "type": "Group",
                    "id": GROUP_ID_BASE + 1,
                    "ids": [GROUP_ID_BASE + 1],
                }
                if n == 3
                else None,
                **self._stamps(),
            }
            for n, (title, actions) in enumerate(specs)
        ]

    def automations(self) -> list[Record]:
        specs = [
            ("Close ticket 4 days after status is set to solved", "SOLVED", "96", "closed"),
            ("Pending notification 24 hours", "PENDING", "24", "pending"),
            ("Remind after hold 48 hours", "HOLD", "48", "open"),
        ]
        return [
            {
                "id": 362_000_400 + n,
                "title": title,
                "raw_title": title,
                "active": n != 2,
                "default": n == 0,
                "position": n + 1,
                "conditions": {
                    "all": [
                        {"field": "status", "operator": "is", "value": clock.lower()},
                        {"field": clock, "operator": "greater_than", "value": hours},
                    ],
                    "any": [],
                },
                "actions": [{"field": "status", "value": then}],
                **self._stamps(),
            }
            for n, (title, clock, hours, then) in enumerate(specs)
        ]

    def views(self) -> list[Record]:
        specs = [
            (
                "Your unsolved tickets",
                [("assignee_id", "is", "current_user"), ("status", "less_than", "solved")],
                None,
            ),
            (
                "Unassigned tickets",
                [("assignee_id", "is", ""), ("status", "less_than", "solved")],
                None,
            ),
            ("Billing queue", [("group_id", "is", str(GROUP_ID_BASE + 1))], GROUP_ID_BASE + 1),
            ("Recently solved tickets", [("status", "is", "solved")], None),
        ]
        return [
            {
                "id": 362_000_500 + n,
                "url": self._url("views", 362_000_500 + n),
                "title": title,
                "description": "",
                "active": True,
                "default": restricted is None and n < 2,
                "position": n,
                "conditions": {
                    "all": [{"field": f, "operator": o, "value": v} for f, o, v in conditions],
                    "any": [],
                },
                "execution": {
                    "group_by": "status",
                    "sort_by": "updated_at",
                    "sort_order": "desc",
                    "columns": [{"id": "subject", "title": "Subject"}],
                },
                "restriction": {"type": "Group", "id": restricted, "ids": [restricted]}
                if restricted
                else None,
                **self._stamps(),
            }
            for n, (title, conditions, restricted) in enumerate(specs)
        ]
