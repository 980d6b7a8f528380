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
USER_KEYS = ("external_id", "email")


@dataclass
class PlannedRow:
    """One input row and what the run will do with it."""

    row: InputRow
    decision: Decision = "send"
    reason: str | None = None
    identity: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    digest: str | None = None
    zendesk_id: int | None = None
    exists: bool | None = None
    # What matching learned that sending needs (an identity's user, whether it is primary).
    found: dict[str, Any] = field(default_factory=dict)

    def invalid(self, reason: str) -> None:
        self.decision, self.reason = "invalid", reason


@dataclass(frozen=True)
class Previous:
    """What the last push of an identity left behind."""

    digest: str
    action: str
    zendesk_id: int | None


def validate(
    rows: Iterable[InputRow], specs: dict[str, UserFieldSpec], on_duplicate: OnDuplicate = "last"
) -> list[PlannedRow]:
    """Check every user row on its own, then settle rows that name the same user."""
    return validate_with(
        rows, lambda row: payload_of(row, specs), identity_of, USER_KEYS, on_duplicate
    )


def validate_with(
    rows: Iterable[InputRow],
    payload: Callable[[InputRow], dict[str, Any]],
    identity: Callable[[InputRow], str],
    keys: tuple[str, ...],
    on_duplicate: OnDuplicate,
    noun: str = "user",
) -> list[PlannedRow]:
    """Check every row on its own (``payload`` and ``identity`` raise ``Invalid``), then
    settle rows whose payloads share a value of ``keys``, as Zendesk would match them."""
    planned = []
    for row in rows:
        item = PlannedRow(row)
        try:
            item.payload = payload(row)
            item.identity = identity(row)
            item.digest = payload_hash(item.payload)
        except Invalid as exc:
            item.invalid(str(exc))
        planned.append(item)
    resolve_duplicates(planned, on_duplicate, keys, noun)
    return planned


def resolve_duplicates(
    planned: list[PlannedRow],
    rule: OnDuplicate,
    keys: tuple[str, ...] = ("external_id", "email"),
    noun: str = "user",
) -> None:
    """Keep one row per user: the last, the first, or (``reject``) none of them.

    Zendesk matches on external id and on email, case-insensitively, so rows linked by either,
    directly or through other rows, would race for the same user. Only valid rows take part.
    """
    for group in same_user_groups([p for p in planned if p.decision != "invalid"], keys):
        if len(group) < 2:
            continue
        if rule == "reject":
            numbers = ", ".join(str(item.row.row_number) for item in group)
            for item in group:
                item.invalid(f"rows {numbers} name the same {noun} (--on-duplicate reject)")
            continue
        kept = group[-1] if rule == "last" else group[0]
        which = "a later" if rule == "last" else "an earlier"
        for item in group:
            if item is not kept:
                item.invalid(
                    f"superseded by row {kept.row.row_number}, {which} row for the same {noun}"
                )


def same_user_groups(
    items: list[PlannedRow], keys: tuple[str, ...] = ("external_id", "email")
) -> list[list[PlannedRow]]:
    """Rows that share a value of one of ``keys`` (ignoring case), transitively, in input
    order."""
    parent = list(range(len(items)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[str, int] = {}
    for index, item in enumerate(items):
        for key in _match_keys(item.payload, keys):
            if key in owner:
                parent[root(index)] = root(owner[key])
            else:
                owner[key] = index
    groups: dict[int, list[PlannedRow]] = {}
    for index, item in enumerate(items):
        groups.setdefault(root(index), []).append(item)
    return list(groups.values())


def _match_keys(payload: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [f"{name}:{str(value).lower()}" for name in keys if (value := payload.get(name))]


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
            item.zendesk_id = before.zendesk_id


def apply_mode(
    planned: list[PlannedRow],
    mode: Mode,
    noun: str = "user",
    required: str = "name",
    article: str = "a",
) -> None:
    """Enforce the mode and the ``required`` value a create needs, where the record's
    existence is known.

    A mode refuses a row whose record it could not establish: sending it might do what the
    mode forbids.
    """
    for item in planned:
        if item.decision != "send":
            continue
        if item.exists is False and not item.payload.get(required):
            item.invalid(f"{required} is required to create {article} {noun}")
        elif mode != "upsert" and item.exists is None:
            item.invalid(f"could not tell whether a Zendesk {noun} matches (--mode {mode})")
        elif mode == "update-only" and item.exists is False:
            item.invalid(f"no existing Zendesk {noun} matches (--mode update-only)")
        elif mode == "create-only" and item.exists is True:
            item.invalid(f"a Zendesk {noun} already matches (--mode create-only)")


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
