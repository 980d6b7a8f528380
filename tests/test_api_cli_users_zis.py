"""``zdsync api`` for users, identities, deleted users, passwords and ZIS: destructive ones only
with ``--yes``, the OAuth client secret kept in a 0600 file and never printed, passwords kept
out of what is shown."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_api_cli import sent, zdsync_api
from zdsync import catalog
from zdsync.sandbox import Sandbox, SandboxConfig

SMALL = SandboxConfig(rate_limits="off", users=60, tickets=60, organizations=6)
small = pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
Case = tuple[list[str], Callable[[Sandbox], bool]]


def end_users(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        u
        for _, u in sorted(sandbox.store.users.records.items())
        if u["active"] and u["role"] == "end-user" and u["email"]
    ]


def destructive_cases(sandbox: Sandbox) -> dict[str, Case]:
    """Per destructive operation: its arguments, and what holds once it has run."""
    a, b, c, d, e = end_users(sandbox)[:5]
    sandbox.store.soft_delete_user(e["id"])
    identity = sandbox.store.identities[a["id"]][0]["id"]
    sandbox.app.zis.register("cli", "")
    sandbox.app.zis.integrations["cli"].connections["gone"] = {"name": "gone"}
    store = sandbox.store
    return {
        "deleted_users.delete": (
            [f"deleted_user_id={e['id']}"],
            lambda s: e["id"] in s.store.purged,
        ),
        "identities.delete": (
            [f"user_id={a['id']}", f"user_identity_id={identity}"],
            lambda s: identity not in [i["id"] for i in store.identities[a["id"]]],
        ),
        "users.logout_many": ([f"ids={b['id']}"], lambda s: b["id"] in s.app.logouts),
        "users.destroy_many": ([f"ids={c['id']}"], lambda s: True),  # a job: queued is enough
        "users.merge": (
            [f"user_id={c['id']}", f'user={{"id": {d["id"]}}}'],
            lambda s: not s.store.users.records[c["id"]]["active"],
        ),
        "zis.basic_auth.delete": (
            ["integration=cli", "name=gone"],
            lambda s: "gone" not in s.app.zis.integrations["cli"].connections,
        ),
    }


DESTRUCTIVE = [
    "deleted_users.delete",
    "identities.delete",
    "users.logout_many",
    "users.destroy_many",
    "users.merge",
    "zis.basic_auth.delete",
]


def test_these_are_the_catalogs_destructive_operations_of_these_groups() -> None:
    groups = ("users", "deleted_users", "identities", "passwords", "zis.basic_auth")
    found = [op.name for op in catalog.OPERATIONS if op.destructive and op.group in groups]
    assert sorted(found) == sorted([*DESTRUCTIVE, "users.delete"])


@small
@pytest.mark.parametrize("name", DESTRUCTIVE)
def test_a_destructive_operation_runs_only_with_yes(sandbox: Sandbox, name: str) -> None:
    arguments, holds = destructive_cases(sandbox)[name]
    flags = [part for argument in arguments for part in ("--arg", argument)]

    refused = zdsync_api(sandbox, name, *flags)
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[-1] == "zdsync: error: add --yes to run it"
    assert sent(sandbox) == []

    confirmed = zdsync_api(sandbox, name, *flags, "--yes")
    assert confirmed.exit_code == 0, confirmed.stderr
    assert len(sent(sandbox)) == 1
    assert holds(sandbox)


@small
def test_registering_an_integration_keeps_the_secret_in_a_0600_file_only(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    kept = tmp_path / "zis-secret"
    without = zdsync_api(sandbox, "zis.integrations.create", "-a", "integration=crm_sync")
    done = zdsync_api(
        sandbox, "zis.integrations.create", "-a", "integration=crm_sync", "--secret-file", str(kept)
    )
    again = zdsync_api(
        sandbox, "zis.integrations.create", "-a", "integration=other", "--secret-file", str(kept)
    )

    assert without.exit_code == 2
    assert "give --secret-file PATH" in without.stderr
    assert done.exit_code == 0, done.stderr
    secret = kept.read_text().strip()
    assert sandbox.app.zis.client_secret_matches("crm_sync", secret)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert secret not in done.stdout + done.stderr
    client = json.loads(done.stdout)["zendesk_oauth_client"]
    assert (client["identifier"], client["secret"]) == ("zis_crm_sync", "Secret('********')")
    assert f"written to {kept} (mode 0600)" in done.stderr
    # An existing file is refused before anything is sent: the secret is never lost.
    assert again.exit_code == 2
    assert [path for _, path in sent(sandbox)] == ["/api/services/zis/registry/crm_sync"]
    # A refused registration leaves no empty file behind.
    bad = tmp_path / "bad-secret"
    refused = zdsync_api(
        sandbox, "zis.integrations.create", "-a", "integration=Bad", "--secret-file", str(bad)
    )
    assert refused.exit_code == 1
    assert "1010" in refused.stderr
    assert not bad.exists()


@small
def test_a_password_comes_from_a_file_and_is_never_shown(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.app.zis.register("pw", "")
    (tmp_path / "password").write_text("s3cret-value\n")
    args = ["zis.basic_auth.create", "-a", "integration=pw", "-a", "name=crm", "-a", "username=u"]
    args += ["-a", f"password=@{tmp_path / 'password'}", "-a", "allowed_domain=crm.example.com"]

    dry = zdsync_api(sandbox, *args, "--dry-run")
    done = zdsync_api(sandbox, *args)

    assert dry.exit_code == 0
    assert '"password": "********"' in dry.stdout
    assert done.exit_code == 0, done.stderr
    assert "s3cret-value" not in dry.stdout + done.stdout + done.stderr
    assert json.loads(done.stdout)["basic_auth"]["password"] == "*****"
    assert sandbox.app.zis.integrations["pw"].connections["crm"]["password"] == "s3cret-value"
