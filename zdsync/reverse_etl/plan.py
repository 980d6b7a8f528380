"""The plan: which rows are sent, which are unchanged, which are invalid and why."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.validation import (
    Invalid,
    UserFieldSpec,
    identity_of,
    payload_hash,
    payload_of,
)

Mode = Literal["upsert", "update-only", "create-only"]
OnDuplicate = Literal["last", "first", "reject"]
ON_DUPLICATE: tuple[OnDuplicate, ...] = ("last", "first", "reject")
Decision = Literal["send", "unchanged", "invalid"]
SUCCESSES = ("created", "updated", "unchanged")


@dataclass
class PlannedRow:
    """One input row and what the run will do with it."""

    row: InputRow
    decision: Decision = "send"
    reason: str | None = None
    identity: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    digest: str | None = None
    existing_user_id: int | None = None
    exists: bool | None = None

    def invalid(self, reason: str) -> None:
        self.decision, self.reason = "invalid", reason


@dataclass(frozen=True)
class Previous:
    """What the last push of an identity left behind."""

    digest: str
    action: str
    zendesk_user_id: int | None


def validate(
    rows: Iterable[InputRow], specs: dict[str, UserFieldSpec], on_duplicate: OnDuplicate = "last"
) -> list[PlannedRow]:
    """Check every row on its own, then settle rows that name the same user."""
    planned = []
    for row in rows:
        item = PlannedRow(row)
        try:
            item.payload = payload_of(row, specs)
            item.identity = identity_of(row)
            item.digest = payload_hash(item.payload)
        except Invalid as exc:
            item.invalid(str(exc))
        planned.append(item)
    resolve_duplicates(planned, on_duplicate)
    return planned


def resolve_duplicates(planned: list[PlannedRow], rule: OnDuplicate) -> None:
    """Keep one row per user: the last, the first, or (``reject``) none of them.

    Zendesk matches on external id and on email, case-insensitively, so rows linked by either,
    directly or through other rows, would race for the same user. Only valid rows take part.
    """
    for group in same_user_groups([p for p in planned if p.decision != "invalid"]):
        if len(group) < 2:
            continue
        if rule == "reject":
            numbers = ", ".join(str(item.row.row_number) for item in group)
            for item in group:
                item.invalid(f"rows {numbers} name the same user (--on-duplicate reject)")
            continue
        kept = group[-1] if rule == "last" else group[0]
        which = "a later" if rule == "last" else "an earlier"
        for item in group:
            if item is not kept:
                item.invalid(
                    f"superseded by row {kept.row.row_number}, {which} row for the same user"
                )


def same_user_groups(items: list[PlannedRow]) -> list[list[PlannedRow]]:
    """Rows that share an external id or an email, transitively, in input order."""
    parent = list(range(len(items)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[str, int] = {}
    for index, item in enumerate(items):
        for key in _match_keys(item.payload):
            if key in owner:
                parent[root(index)] = root(owner[key])
            else:
                owner[key] = index
    groups: dict[int, list[PlannedRow]] = {}
    for index, item in enumerate(items):
        groups.setdefault(root(index), []).append(item)
    return list(groups.values())


def _match_keys(payload: dict[str, Any]) -> list[str]:
    return [
        f"{name}:{str(value).lower()}"
        for name in ("external_id", "email")
        if (value := payload.get(name))
    ]


def check_organizations(planned: list[PlannedRow], exists: Callable[[int], bool]) -> None:
    """Rows naming an organization Zendesk does not have are invalid."""
    known: dict[int, bool] = {}
    for item in planned:
        org = item.payload.get("organization_id")
        if item.decision != "send" or org is None:
            continue
        if org not in known:
            known[org] = exists(org)
        if not known[org]:
            item.invalid(f"organization {org} does not exist in Zendesk")


def diff(planned: list[PlannedRow], previous: dict[str, Previous]) -> None:
    """Rows whose payload is what was last pushed successfully are left alone."""
    for item in planned:
        if item.decision != "send" or item.identity is None:
            continue
        before = previous.get(item.identity)
        if before and before.digest == item.digest and before.action in SUCCESSES:
            item.decision = "unchanged"
            item.existing_user_id = before.zendesk_user_id


def apply_mode(planned: list[PlannedRow], mode: Mode) -> None:
    """Enforce the mode and the name a create needs, where the user's existence is known.

    A mode refuses a row whose user it could not establish: sending it might do what the mode
    forbids.
    """
    for item in planned:
        if item.decision != "send":
            continue
        if item.exists is False and not item.payload.get("name"):
            item.invalid("name is required to create a user")
        elif mode != "upsert" and item.exists is None:
            item.invalid(f"could not tell whether a Zendesk user matches (--mode {mode})")
        elif mode == "update-only" and item.exists is False:
            item.invalid("no existing Zendesk user matches (--mode update-only)")
        elif mode == "create-only" and item.exists is True:
            item.invalid("a Zendesk user already matches (--mode create-only)")


def counts(planned: list[PlannedRow]) -> dict[str, int]:
    """How many rows each way, with sends split by whether the user exists."""
    tally = {"create": 0, "update": 0, "create or update": 0, "unchanged": 0, "invalid": 0}
    for item in planned:
        if item.decision == "send":
            key = {True: "update", False: "create", None: "create or update"}[item.exists]
            tally[key] += 1
        else:
            tally[item.decision] += 1
    return tally
