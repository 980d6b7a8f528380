"""Validation, diffing and reconciliation, with literal rows."""

from __future__ import annotations

from typing import Any

import pytest

from zdsync.reverse_etl.plan import Mode, PlannedRow, Previous, apply_mode, diff, validate
from zdsync.reverse_etl.reconcile import reconcile
from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.validation import (
    Invalid,
    UserFieldSpec,
    identity_of,
    payload_hash,
    payload_of,
)

SPECS = {
    "plan": UserFieldSpec("plan", "dropdown", ("free", "pro")),
    "signup_date": UserFieldSpec("signup_date", "date"),
    "lifetime_value": UserFieldSpec("lifetime_value", "decimal"),
    "vip": UserFieldSpec("vip", "checkbox"),
    "crm_notes": UserFieldSpec("crm_notes", "text"),
}


def row(number: int = 1, /, **values: str | None) -> InputRow:
    return InputRow(number, dict(values))


def test_a_full_row_becomes_a_typed_payload() -> None:
    payload = payload_of(
        row(
            external_id="CRM-1",
            email="ann@example.com",
            name="Ann Ö",
            phone="+44 20 7946 0958",
            role="end-user",
            organization_id="1001",
            tags="vip, emea,vip",
            **{
                "user_fields.plan": "pro",
                "user_fields.signup_date": "2024-02-29",
                "user_fields.lifetime_value": "12.50",
                "user_fields.vip": "yes",
            },
        ),
        SPECS,
    )

    assert payload == {
        "external_id": "CRM-1",
        "email": "ann@example.com",
        "name": "Ann Ö",
        "phone": "+442079460958",
        "role": "end-user",
        "organization_id": 1001,
        "tags": ["emea", "vip"],
        "user_fields": {
            "plan": "pro",
            "signup_date": "2024-02-29",
            "lifetime_value": 12.5,
            "vip": True,
        },
    }


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"name": "No Identity"}, "no external_id or email"),
        ({"email": "ann@", "name": "A"}, "not a valid address"),
        ({"email": "a@example.com", "phone": "020 7946 0958"}, "E.164"),
        ({"email": "a@example.com", "role": "owner"}, "role 'owner'"),
        ({"email": "a@example.com", "organization_id": "acme"}, "whole number"),
        ({"email": "a@example.com", "user_fields.tier": "x"}, "does not exist"),
        ({"email": "a@example.com", "user_fields.plan": "gold"}, "not one of free, pro"),
        ({"email": "a@example.com", "user_fields.signup_date": "29/02/2024"}, "YYYY-MM-DD"),
        ({"email": "a@example.com", "user_fields.lifetime_value": "lots"}, "not a number"),
        ({"email": "a@example.com", "user_fields.vip": "maybe"}, "true or false"),
        ({"email": "a@example.com", "favourite_colour": "red"}, "unknown columns"),
    ],
)
def test_invalid_rows_say_why(values: dict[str, str], reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        payload_of(row(**values), SPECS)


@pytest.mark.parametrize(
    "address",
    [
        "first,last@example.com",
        "trailing.@example.com",
        "two..dots@example.com",
        ".leading@example.com",
        '"quoted local"@example.com',
        "spa ce@example.com",
        "user@example",
        "user@[192.168.0.1]",
        "user@-host.example.com",
        "user@@example.com",
    ],
)
def test_addresses_zendesk_refuses_are_invalid(address: str) -> None:
    with pytest.raises(Invalid, match="is not a valid address: "):
        payload_of(row(email=address, name="A"), SPECS)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("+1 555 0100", "not a valid number for its country code"),
        ("+1 415 555 2671 ext. 12", "extension"),
        ("00 44 20 7946 0958", "E.164"),
        ("+999 123 456", "E.164"),
        ("call me", "E.164"),
    ],
)
def test_phones_must_be_real_international_numbers(raw: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        payload_of(row(email="a@example.com", phone=raw), SPECS)


def test_unusual_but_valid_addresses_and_phones_pass() -> None:
    payload = payload_of(
        row(email="o'neil+crm{1}@mail.example.co.uk", phone="tel:+1-415-555-2671"), SPECS
    )

    assert payload == {"email": "o'neil+crm{1}@mail.example.co.uk", "phone": "+14155552671"}


def test_identity_prefers_the_external_id_and_ignores_case() -> None:
    assert identity_of(row(external_id="CRM-7", email="X@Y.com")) == "external_id:crm-7"
    assert identity_of(row(email="X@Y.com")) == "email:x@y.com"


DUPLICATES = [
    row(1, external_id="A-1", email="one@example.com", name="One"),
    row(2, external_id="a-1", email="two@example.com", name="Two"),
    row(3, email="ONE@example.com", name="Three"),
    row(4, email="four@example.com", name="Four"),
    # Linked to row 2 through its email only: the same user as rows 1 to 3.
    row(5, external_id="B-5", email="Two@Example.com", name="Five"),
    row(6, email="bad@", name="Invalid, so it takes no part"),
    row(7, email="four@EXAMPLE.com", name="Seven"),
]


def decisions(planned: list[PlannedRow]) -> list[tuple[str, str | None]]:
    return [(p.decision, p.reason) for p in planned]


def test_the_last_row_for_a_user_wins_by_default() -> None:
    planned = validate(DUPLICATES, SPECS)

    later = "a later row for the same user"
    assert decisions(planned)[:5] == [
        ("invalid", f"superseded by row 5, {later}"),
        ("invalid", f"superseded by row 5, {later}"),
        ("invalid", f"superseded by row 5, {later}"),
        ("invalid", f"superseded by row 7, {later}"),
        ("send", None),
    ]
    assert "not a valid address" in str(planned[5].reason)
    assert decisions(planned)[6] == ("send", None)


def test_the_first_row_for_a_user_wins_when_asked() -> None:
    planned = validate(DUPLICATES, SPECS, "first")

    earlier = "an earlier row for the same user"
    assert [p.decision for p in planned] == [
        "send",
        "invalid",
        "invalid",
        "send",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert [planned[i].reason for i in (1, 2, 4, 6)] == [
        f"superseded by row 1, {earlier}",
        f"superseded by row 1, {earlier}",
        f"superseded by row 1, {earlier}",
        f"superseded by row 4, {earlier}",
    ]


def test_reject_sends_no_row_of_a_duplicated_user() -> None:
    planned = validate(DUPLICATES, SPECS, "reject")

    assert [p.decision for p in planned] == ["invalid"] * 7
    assert planned[0].reason == "rows 1, 2, 3, 5 name the same user (--on-duplicate reject)"
    assert planned[6].reason == "rows 4, 7 name the same user (--on-duplicate reject)"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("upsert", ["send", "send", "send", "invalid"]),
        ("update-only", ["send", "invalid", "invalid", "invalid"]),
        ("create-only", ["invalid", "send", "invalid", "invalid"]),
    ],
)
def test_modes_refuse_what_they_forbid_and_what_they_cannot_tell(
    mode: Mode, expected: list[str]
) -> None:
    planned = validate(
        [
            row(1, email="known@example.com", name="Known"),
            row(2, email="unknown@example.com", name="Unknown"),
            row(3, email="unclear@example.com", name="Unclear"),
            row(4, email="nameless@example.com"),
        ],
        SPECS,
    )
    for item, exists in zip(planned, (True, False, None, False), strict=True):
        item.exists = exists

    apply_mode(planned, mode)

    assert [p.decision for p in planned] == expected
    assert planned[3].reason == "name is required to create a user"
    if mode != "upsert":
        assert planned[2].reason == f"could not tell whether a Zendesk user matches (--mode {mode})"


def test_hashes_ignore_key_order_and_see_every_value() -> None:
    assert payload_hash({"a": 1, "b": [1, 2]}) == payload_hash({"b": [1, 2], "a": 1})
    assert payload_hash({"a": 1}) != payload_hash({"a": 2})


def test_rows_pushed_unchanged_are_skipped_and_failures_are_retried() -> None:
    planned = validate(
        [row(1, email="a@example.com", name="A"), row(2, email="b@example.com", name="B")],
        SPECS,
    )
    previous = {
        "email:a@example.com": Previous(planned[0].digest or "", "updated", 11),
        "email:b@example.com": Previous(planned[1].digest or "", "failed", None),
    }

    diff(planned, previous)

    assert [p.decision for p in planned] == ["unchanged", "send"]
    assert planned[0].zendesk_id == 11


def job(results: list[dict[str, Any]], status: str = "completed") -> dict[str, Any]:
    return {"id": "j1", "status": status, "results": results}


def test_results_map_back_by_index_and_are_checked_against_the_row() -> None:
    batch = validate(
        [
            row(1, email="a@example.com", name="A"),
            row(2, external_id="E-2", name="B"),
            row(3, email="c@example.com", name="C"),
            row(4, email="d@example.com", name="D"),
        ],
        SPECS,
    )
    results = [
        {"index": 1, "id": 22, "status": "Updated", "success": True, "external_id": "e-2"},
        {"index": 0, "id": 21, "status": "Created", "success": True, "email": "a@example.com"},
        {
            "index": 2,
            "status": "Failed",
            "success": False,
            "error": "DuplicateValue",
            "details": "Email: c@example.com is already being used",
            "email": "c@example.com",
        },
        {"index": 3, "id": 24, "status": "Created", "success": True, "email": "x@example.com"},
    ]

    outcomes = reconcile(batch, job(results))

    assert [(o.action, o.zendesk_id) for o in outcomes[:3]] == [
        ("created", 21),
        ("updated", 22),
        ("failed", None),
    ]
    assert outcomes[2].error == "DuplicateValue: Email: c@example.com is already being used"
    assert outcomes[3].action == "failed"
    assert "does not match" in (outcomes[3].error or "")


def test_a_failed_job_fails_every_row() -> None:
    batch = validate([row(1, email="a@example.com", name="A")], SPECS)

    (outcome,) = reconcile(batch, {"id": "j", "status": "failed", "message": "boom"})
    (again,) = reconcile(batch, {"id": "j", "status": "killed", "message": None}, tries=3)

    assert (outcome.action, outcome.error) == ("failed", "job failed: boom")
    assert (again.action, again.error) == ("failed", "job killed: no message (each of 3 tries)")


def test_a_failed_job_with_results_is_read_row_by_row() -> None:
    batch = validate(
        [row(1, email="a@example.com", name="A"), row(2, email="b@example.com", name="B")], SPECS
    )
    results = [{"index": 0, "id": 7, "status": "Created", "email": "a@example.com"}]

    outcomes = reconcile(batch, job(results, status="failed"))

    assert [(o.action, o.zendesk_id) for o in outcomes] == [("created", 7), ("failed", None)]
    assert outcomes[1].error == "the job returned no result for this row"
