"""The planning steps after validation, on literal planned rows: duplicates, organizations,
the diff against the last push, the modes and the plan's counts."""

from __future__ import annotations

from typing import Any

import pytest

from zdsync.reverse_etl.plan import (
    Decision,
    Mode,
    PlannedRow,
    Previous,
    apply_mode,
    check_organizations,
    counts,
    diff,
    resolve_duplicates,
    validate,
)
from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.validation import identity_of, payload_hash


def planned(
    number: int,
    decision: Decision = "send",
    exists: bool | None = None,
    reason: str | None = None,
    **payload: Any,
) -> PlannedRow:
    """A row as validation leaves it: payload, identity and digest from the same values."""
    values: dict[str, str | None] = {k: str(v) for k, v in payload.items()}
    identity = identity_of(InputRow(number, values)) if values else None
    return PlannedRow(
        InputRow(number, values),
        decision=decision,
        reason=reason,
        identity=identity,
        payload=payload,
        digest=payload_hash(payload),
        exists=exists,
    )


def outcomes(rows: list[PlannedRow]) -> list[tuple[str, str | None]]:
    return [(p.decision, p.reason) for p in rows]


def test_rows_already_invalid_neither_supersede_nor_are_superseded() -> None:
    rows = [
        planned(1, email="ann@example.com", name="Ann"),
        planned(2, "invalid", reason="phone is not valid", email="ANN@example.com", name="A"),
    ]

    resolve_duplicates(rows, "last")

    assert outcomes(rows) == [("send", None), ("invalid", "phone is not valid")]


def test_a_user_named_once_does_not_stop_the_duplicates_after_it() -> None:
    rows = validate(
        [
            InputRow(1, {"email": "solo@example.com", "name": "Solo"}),
            InputRow(2, {"external_id": "D-1", "name": "Older"}),
            InputRow(3, {"external_id": "d-1", "name": "Newer"}),
        ],
        {},
    )

    assert outcomes(rows) == [
        ("send", None),
        ("invalid", "superseded by row 3, a later row for the same user"),
        ("send", None),
    ]


def test_rows_with_the_same_identity_are_always_duplicates() -> None:
    # The Kelvin sign lower-cases to "k": both rows have one identity, and one ledger entry.
    kelvin, plain = InputRow(1, {"external_id": "\u212a-7"}), InputRow(2, {"external_id": "k-7"})
    assert identity_of(kelvin) == identity_of(plain)

    rows = validate([kelvin, plain], {}, "first")

    assert [p.decision for p in rows] == ["send", "invalid"]


def test_each_organization_is_looked_up_once_and_missing_ones_invalidate_their_rows() -> None:
    asked: list[int] = []

    def exists(org: int) -> bool:
        asked.append(org)
        return org == 10

    rows = [
        planned(1, email="a@example.com", organization_id=10),
        planned(2, email="b@example.com", organization_id=99),
        planned(3, "invalid", reason="earlier reason", email="c@example.com", organization_id=55),
        planned(4, email="d@example.com"),
        planned(5, email="e@example.com", organization_id=10),
        planned(6, email="f@example.com", organization_id=99),
    ]

    check_organizations(rows, exists)

    assert asked == [10, 99]
    assert outcomes(rows) == [
        ("send", None),
        ("invalid", "organization 99 does not exist in Zendesk"),
        ("invalid", "earlier reason"),
        ("send", None),
        ("send", None),
        ("invalid", "organization 99 does not exist in Zendesk"),
    ]


def test_only_rows_still_to_send_are_compared_with_the_last_push() -> None:
    superseded = planned(1, "invalid", reason="superseded by row 2", email="a@example.com")
    same = planned(2, email="a@example.com")
    changed = planned(3, email="b@example.com", name="New name")
    previous = {
        "email:a@example.com": Previous(same.digest or "", "created", 41),
        "email:b@example.com": Previous(payload_hash({"email": "b@example.com"}), "updated", 42),
    }

    diff([superseded, same, changed], previous)

    assert [(p.decision, p.zendesk_id) for p in (superseded, same, changed)] == [
        ("invalid", None),
        ("unchanged", 41),
        ("send", None),
    ]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("upsert", ["unchanged", "send", "send"]),
        ("update-only", ["unchanged", "send", "invalid"]),
        ("create-only", ["unchanged", "invalid", "send"]),
    ],
)
def test_modes_judge_every_row_to_send_and_leave_the_rest(mode: Mode, expected: list[str]) -> None:
    rows = [
        planned(1, "unchanged", exists=None, email="same@example.com"),
        planned(2, exists=True, email="known@example.com", name="Known"),
        planned(3, exists=False, email="new@example.com", name="New"),
    ]

    apply_mode(rows, mode)

    assert [p.decision for p in rows] == expected


def test_the_plan_counts_every_row_once() -> None:
    rows = [
        planned(1, exists=True, email="a@example.com"),
        planned(2, exists=False, email="b@example.com"),
        planned(3, exists=None, email="c@example.com"),
        planned(4, exists=None, email="d@example.com"),
        planned(5, "unchanged", email="e@example.com"),
        planned(6, "unchanged", email="f@example.com"),
        planned(7, "invalid", email="g@example.com"),
        planned(8, "invalid", email="h@example.com"),
        planned(9, "invalid", email="i@example.com"),
    ]

    assert counts(rows) == {
        "create": 1,
        "update": 1,
        "create or update": 2,
        "unchanged": 2,
        "invalid": 3,
    }
