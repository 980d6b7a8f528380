"""``zdsync push identities`` against the sandbox: adds, primaries, refusals, mirror, diffs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from tests.reverse_etl.conftest import push, sync_log, write_csv
from zdsync.sandbox import Sandbox
from zdsync.sandbox.faults import Fault

COLUMNS = ["user_external_id", "user_email", "type", "value", "primary"]


def identities_csv(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    return write_csv(tmp_path / "identities.csv", rows, leading=COLUMNS)


def end_users(sandbox: Sandbox, count: int) -> list[dict[str, Any]]:
    found = [
        u
        for u in sandbox.store.users.records.values()
        if u["active"] and u["external_id"] and u["role"] == "end-user" and u["email"]
    ]
    assert len(found) >= count
    return found[:count]


def held(sandbox: Sandbox, user_id: int) -> dict[tuple[str, str], bool]:
    return {
        (i["type"], i["value"].lower()): i["primary"]
        for i in sandbox.store.identities.get(user_id, [])
    }


def writes(sandbox: Sandbox) -> list[tuple[str, str]]:
    return [
        (e["method"], e["path"].rsplit("/", 1)[-1])
        for e in sandbox.app.request_log()
        if e["method"] in ("POST", "PUT", "DELETE")
    ]


def test_emails_and_phones_are_added_and_one_made_primary(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    one, two = end_users(crm_sandbox, 2)
    rows = [
        {"user_external_id": one["external_id"].upper(), "type": "email", "value": "w@x.net"},
        {
            "user_external_id": one["external_id"],
            "type": "phone_number",
            "value": "+1 415 555 2671",
        },
        {
            "user_email": two["email"].upper(),
            "type": "email",
            "value": "main@x.net",
            "primary": "yes",
        },
    ]

    summary = push(crm_sandbox, tmp_path, "identities", input=identities_csv(tmp_path, rows))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "identity")
    assert [r["action"] for r in log] == ["created"] * 3
    assert held(crm_sandbox, one["id"])[("email", "w@x.net")] is False
    # Sent as E.164, and secondary: the user had a phone number already.
    assert held(crm_sandbox, one["id"])[("phone_number", "+14155552671")] is False
    two_now = held(crm_sandbox, two["id"])
    assert (two_now[("email", "main@x.net")], two_now[("email", two["email"].lower())]) == (
        True,
        False,
    )
    assert crm_sandbox.store.users.records[two["id"]]["email"] == "main@x.net"
    assert [method for method, _ in writes(crm_sandbox)] == ["POST", "POST", "POST", "PUT"]
    assert all(r["zendesk_id"] for r in log)


def test_invalid_rows_say_why_and_are_never_sent(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    (one,) = end_users(crm_sandbox, 1)
    key = one["external_id"]
    rows = [
        {"user_external_id": "nobody", "type": "email", "value": "a@x.net"},
        {"user_email": "nobody@nowhere.example", "type": "email", "value": "b@x.net"},
        {"user_external_id": key, "type": "email", "value": "not-an-address"},
        {"user_external_id": key, "type": "phone_number", "value": "555"},
        {"user_external_id": key, "type": "twitter", "value": "@me"},
        {"user_external_id": key, "type": "email"},
        {"type": "email", "value": "c@x.net"},
        {"user_external_id": key, "type": "email", "value": "d@x.net", "colour": "red"},
    ]

    summary = push(crm_sandbox, tmp_path, "identities", input=identities_csv(tmp_path, rows))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "identity")
    reasons = [r["error"] for r in log]
    assert reasons[:2] == [
        "no Zendesk user has the external id 'nobody'",
        "no Zendesk user has the email 'nobody@nowhere.example'",
    ]
    assert "not a valid address" in reasons[2]
    assert reasons[3] == "phone '555' is not in E.164 form (+, country code, number)"
    assert reasons[4:] == [
        "type 'twitter' is not one of email, phone_number",
        "no value for the email identity",
        "no user_external_id or user_email to find the user by",
        "unknown columns: colour (map them or drop them)",
    ]
    assert {r["action"] for r in log} == {"invalid"}
    assert writes(crm_sandbox) == []


def test_an_address_another_user_holds_fails_with_zendesks_reason(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    one, two = end_users(crm_sandbox, 2)
    rows = [{"user_external_id": one["external_id"], "type": "email", "value": two["email"]}]

    summary = push(crm_sandbox, tmp_path, "identities", input=identities_csv(tmp_path, rows))

    (logged,) = sync_log(tmp_path / "sync.duckdb", summary.run_id, "identity")
    assert logged["action"] == "failed"
    assert "is already being used" in logged["error"]


def test_a_dry_run_writes_nothing(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    (one,) = end_users(crm_sandbox, 1)
    rows = [
        {"user_external_id": one["external_id"], "type": "email", "value": "new@x.net"},
        {"user_external_id": one["external_id"], "type": "email", "value": one["email"]},
        {"user_external_id": "nobody", "type": "email", "value": "a@x.net"},
    ]

    summary = push(
        crm_sandbox, tmp_path, "identities", input=identities_csv(tmp_path, rows), dry_run=True
    )

    assert summary.plan == {
        "create": 1,
        "update": 0,
        "create or update": 0,
        "unchanged": 1,
        "invalid": 1,
    }
    assert writes(crm_sandbox) == []
    assert not (tmp_path / "sync.duckdb").exists()


def test_a_rerun_after_losing_the_log_adds_nothing_twice(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    users = end_users(crm_sandbox, 4)
    rows = [
        {"user_external_id": u["external_id"], "type": "email", "value": f"extra{n}@x.net"}
        for n, u in enumerate(users)
    ]
    source = identities_csv(tmp_path, rows)
    push(crm_sandbox, tmp_path, "identities", input=source)
    with duckdb.connect(str(tmp_path / "sync.duckdb")) as con:
        con.execute("DELETE FROM reverse_etl.identity_sync_state")
    before = {u["id"]: len(crm_sandbox.store.identities[u["id"]]) for u in users}
    posts = len(writes(crm_sandbox))

    again = push(crm_sandbox, tmp_path, "identities", input=source)

    assert (again.totals.created, again.totals.unchanged) == (0, 4)
    assert {u["id"]: len(crm_sandbox.store.identities[u["id"]]) for u in users} == before
    assert len(writes(crm_sandbox)) == posts


def test_a_second_push_with_one_percent_changed_sends_only_those(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    users = end_users(crm_sandbox, 100)
    rows = [
        {"user_external_id": u["external_id"], "type": "email", "value": f"alt{n}@x.net"}
        for n, u in enumerate(users)
    ]
    source = identities_csv(tmp_path, rows)
    push(crm_sandbox, tmp_path, "identities", input=source)
    rows[50]["value"] = "alt50-changed@x.net"
    identities_csv(tmp_path, rows)
    posts = len(writes(crm_sandbox))

    second = push(crm_sandbox, tmp_path, "identities", input=source)

    assert (second.totals.created, second.totals.unchanged) == (1, 99)
    assert writes(crm_sandbox)[posts:] == [("POST", "identities")]
    assert second.totals.post_requests == 1


def test_nothing_is_deleted_unless_mirror_and_never_a_primary(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    (one,) = end_users(crm_sandbox, 1)
    key = one["external_id"]
    push(
        crm_sandbox,
        tmp_path,
        "identities",
        input=identities_csv(
            tmp_path,
            [
                {"user_external_id": key, "type": "email", "value": "old@x.net"},
                {"user_external_id": key, "type": "email", "value": "kept@x.net"},
            ],
        ),
    )
    source = identities_csv(
        tmp_path, [{"user_external_id": key, "type": "email", "value": "kept@x.net"}]
    )

    plain = push(crm_sandbox, tmp_path, "identities", input=source)
    assert ("email", "old@x.net") in held(crm_sandbox, one["id"])
    mirrored = push(crm_sandbox, tmp_path, "identities", input=source, mirror=True)

    now = held(crm_sandbox, one["id"])
    assert ("email", "old@x.net") not in now
    assert ("email", "kept@x.net") in now
    assert now[("email", one["email"].lower())] is True
    assert (plain.totals.deleted, mirrored.totals.deleted) == (0, 1)
    log = sync_log(tmp_path / "sync.duckdb", mirrored.run_id, "identity")
    assert [(r["action"], r["value"]) for r in log] == [
        ("unchanged", "kept@x.net"),
        ("deleted", "old@x.net"),
    ]


def test_429s_are_waited_out(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    users = end_users(crm_sandbox, 3)
    crm_sandbox.app.faults.queue(Fault("429", 0), path_prefix="/api/v2/users/", times=2)
    rows = [
        {"user_external_id": u["external_id"], "type": "email", "value": f"r{n}@x.net"}
        for n, u in enumerate(users)
    ]

    summary = push(crm_sandbox, tmp_path, "identities", input=identities_csv(tmp_path, rows))

    assert (summary.totals.created, summary.totals.rate_limited) == (3, 2)
