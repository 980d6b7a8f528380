"""Identities, sideloaded on the users export, equal the sandbox's; a purge removes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipelines.activity import table
from tests.pipelines.conftest import extract
from zdsync.sandbox import Sandbox, SandboxConfig

SMALL = SandboxConfig(rate_limits="off", users=300, tickets=50, organizations=10, deleted_users=20)


def expected(sandbox: Sandbox) -> dict[int, tuple[int, str, str, bool]]:
    truth = sandbox.store.snapshot()["identities"]
    return {
        identity["id"]: (
            identity["user_id"],
            identity["type"],
            identity["value"],
            identity["primary"],
        )
        for identities in truth.values()
        for identity in identities
    }


def loaded(db: Path) -> dict[int, tuple[int, str, str, bool]]:
    return {
        row["id"]: (row["user_id"], row["type"], row["value"], row["primary"])
        for row in table(db, "user_identities")
    }


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_identities_come_with_the_users_and_go_with_a_permanent_deletion(
    sandbox: Sandbox, db: Path
) -> None:
    sandbox.store.advance_clock(120)
    extract(sandbox, db, resources=("users", "deleted_users"))
    assert loaded(db) == expected(sandbox)
    users_pages = [e for e in sandbox.app.request_log() if "incremental/users" in e["path"]]
    assert len(users_pages) == 1
    assert users_pages[0]["query"]["include"] == "identities"

    purged = next(
        user_id
        for user_id, user in sandbox.store.users.records.items()
        if user["active"] and user["phone"] and user["role"] == "end-user"
    )
    assert any(row[0] == purged for row in loaded(db).values())
    sandbox.store.permanently_delete_user(purged)
    sandbox.store.advance_clock(120)
    extract(sandbox, db, resources=("users", "deleted_users"))

    assert all(row[0] != purged for row in loaded(db).values())
    assert loaded(db) == expected(sandbox)
