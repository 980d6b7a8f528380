"""Permanent deletions: the scrub of personal data, and the compliance statuses polled for them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.pipelines.conftest import PROMISED_SCRUB, SCRUBBED_NAME, extract, rows
from zdsync.records import records
from zdsync.sandbox import Sandbox, SandboxConfig

README = Path(__file__).resolve().parents[2] / "README.md"
STATUSES_PATH = re.compile(r"/api/v2/users/(\d+)/compliance_deletion_statuses(\.json)?")
LISTS = ("deleted_users", "compliance_deletion_statuses")

# A value in every personal field, each one findable by its marker.
FILLED: dict[str, Any] = {
    "name": "Marker Name Ådahl",
    "email": "marker.email@example.org",
    "phone": "+4570991234",
    "notes": "marker-notes: prefers phone calls",
    "details": "marker-details: 1 High Street",
    "alias": "marker-alias",
    "signature": "marker-signature, regards",
    "user_fields": {"plan": "pro", "crm_notes": "marker-user-field"},
    "photo": {"content_url": "https://example.org/marker-photo.png", "id": 99},
    "external_id": "marker-external-id",
    "tags": ["marker-tag"],
}
MARKERS = [
    "Marker Name",
    "marker.email",
    "+4570991234",
    "marker-notes",
    "marker-details",
    "marker-alias",
    "marker-signature",
    "marker-user-field",
    "marker-photo",
    "marker-external-id",
    "marker-tag",
]


@pytest.fixture
def deletions_sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig(
        rate_limits="off", tickets=300, users=200, organizations=10, deleted_users=20
    )
    with Sandbox(config).start() as running:
        running.store.advance_clock(120)
        yield running


def test_the_promised_fields_are_the_readmes() -> None:
    paragraph = " ".join(README.read_text().split())
    found = re.search(r"clears that user's personal fields in `users` \(([^)]*)\)", paragraph)

    assert found is not None
    assert tuple(found[1].split(", ")) == PROMISED_SCRUB
    assert set(FILLED) == set(PROMISED_SCRUB)


def _requester_with_tickets(sandbox: Sandbox) -> int:
    users = sandbox.store.users.records
    requesters = [t["requester_id"] for t in sandbox.store.tickets.records.values()]
    return next(
        int(uid) for uid in requesters if users[uid]["active"] and users[uid]["role"] == "end-user"
    )


def _joined_tickets(db: Path, user_id: int) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM zendesk.tickets t JOIN zendesk.users u ON u.id = t.requester_id "
            "WHERE u.id = ?",
            [user_id],
        ).fetchall()
    return int(found[0][0])


def _everything_in(db: Path) -> str:
    """Every value of every table in the database, as text."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
        ).fetchall()
        return "\n".join(
            str(records(con, f'SELECT * FROM "{schema}"."{name}"'))  # noqa: S608
            for schema, name in tables
        )


def _files_beside(db: Path) -> str:
    """Every file dlt keeps next to the database (state, packages, page files), as text."""
    kept = [
        path
        for path in db.parent.rglob("*")
        if path.is_file() and not path.name.startswith(db.name)
    ]
    return "\n".join(path.read_text(errors="replace") for path in kept)


def test_a_user_deleted_for_good_loses_every_promised_field(
    deletions_sandbox: Sandbox, db: Path
) -> None:
    store = deletions_sandbox.store
    user_id = _requester_with_tickets(deletions_sandbox)
    store.update_user(user_id, **FILLED)
    store.advance_clock(120)
    extract(deletions_sandbox, db)
    before = rows(db, "users")[user_id]
    assert all(before[field] not in (None, "", "[]", "{}") for field in PROMISED_SCRUB)
    assert all(marker in str(before) for marker in MARKERS)
    requested = sum(1 for t in store.tickets.records.values() if t["requester_id"] == user_id)

    store.permanently_delete_user(user_id)
    store.advance_clock(120)
    summary = extract(deletions_sandbox, db)

    after = rows(db, "users")[user_id]
    assert {field: after[field] for field in PROMISED_SCRUB} == {
        field: SCRUBBED_NAME if field == "name" else None for field in PROMISED_SCRUB
    }
    assert after["role"] == "end-user"
    assert summary.scrubbed_users == 1
    assert _joined_tickets(db, user_id) == requested > 0
    leftovers = _everything_in(db) + _files_beside(db)
    assert [marker for marker in MARKERS if marker in leftovers] == []

    again = extract(deletions_sandbox, db, resources=("users", "deleted_users"))

    assert again.scrubbed_users == 0


def _polled(sandbox: Sandbox) -> list[int]:
    found = (STATUSES_PATH.fullmatch(e["path"]) for e in sandbox.app.request_log())
    return sorted(int(match[1]) for match in found if match)


def _still_deleting(sandbox: Sandbox) -> list[int]:
    """Users whose deletion some application started and has not completed, from the truth."""
    pending = []
    for user_id, statuses in sandbox.store.snapshot()["compliance_deletion_statuses"].items():
        started = {s["application"] for s in statuses if s["action"] == "started"}
        completed = {s["application"] for s in statuses if s["action"] == "complete"}
        if started - completed:
            pending.append(user_id)
    return sorted(pending)


def test_compliance_statuses_are_polled_until_each_deletion_completes(
    deletions_sandbox: Sandbox, db: Path
) -> None:
    store = deletions_sandbox.store
    everyone = sorted(store.snapshot()["compliance_deletion_statuses"])
    extract(deletions_sandbox, db, resources=LISTS)
    assert _polled(deletions_sandbox) == everyone
    pending = _still_deleting(deletions_sandbox)
    assert 0 < len(pending) < len(everyone)

    deletions_sandbox.app.log.clear()
    extract(deletions_sandbox, db, resources=LISTS)
    assert _polled(deletions_sandbox) == pending

    # One pending deletion finishes; a new one starts.
    finishing = pending[0]
    store.complete_compliance_deletion(finishing, "chat")
    newcomer = _requester_with_tickets(deletions_sandbox)
    store.permanently_delete_user(newcomer)
    store.advance_clock(120)
    deletions_sandbox.app.log.clear()
    extract(deletions_sandbox, db, resources=LISTS)
    assert _polled(deletions_sandbox) == sorted([*pending, newcomer])
    assert (finishing, "chat", "complete") in rows(db, "compliance_deletion_statuses")

    deletions_sandbox.app.log.clear()
    extract(deletions_sandbox, db, resources=LISTS)
    assert _polled(deletions_sandbox) == sorted([*pending[1:], newcomer])
    assert _still_deleting(deletions_sandbox) == sorted([*pending[1:], newcomer])
