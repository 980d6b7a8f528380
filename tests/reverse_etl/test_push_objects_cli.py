"""``zdsync push OBJECT`` as a user runs it: a kill midway, the dry run, an unknown object."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.reverse_etl.conftest import (
    crm_organizations,
    push,
    release_jobs,
    sync_log,
    wait_for_polling,
    write_csv,
)
from tests.reverse_etl.test_push_cli import ZDSYNC, env_for
from zdsync.sandbox import Sandbox, SandboxConfig


def run(sandbox: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [ZDSYNC, *args],
        env=env_for(sandbox),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", users=50, tickets=10, job_latency_seconds=3600, job_cap=4)],
    indirect=True,
)
def test_an_organization_push_killed_midway_and_run_again_creates_each_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Three jobs at a time (a cap of four, one slot left free), each an hour on the sandbox's
    # clock: jobs 4 to 6 take effect in Zendesk, and the push is killed before it sees them.
    rows = crm_organizations(2000)
    source = write_csv(tmp_path / "orgs.csv", rows, ["external_id", "name"])
    db = tmp_path / "sync.duckdb"
    process = subprocess.Popen(  # noqa: S603
        [ZDSYNC, "push", "organizations", "--input", str(source), "--db", str(db)],
        env=env_for(sandbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_polling(sandbox, 3)
        sandbox.store.advance_clock(3600)
        wait_for_polling(sandbox, 6)
        sandbox.store.advance_clock(3600)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        release_jobs(sandbox)
    assert len(sandbox.app.jobs.jobs) <= 9

    summary = push(sandbox, tmp_path, "organizations", input=source)

    log = sync_log(db, summary.run_id, "organization")
    assert [r["row_number"] for r in log] == list(range(1, 2001))
    assert {r["action"] for r in log[:300]} == {"unchanged"}
    assert {r["action"] for r in log[300:600]} <= {"unchanged", "updated"}
    assert "updated" in {r["action"] for r in log[300:600]}
    assert {r["action"] for r in log[600:]} <= {"created", "updated"}
    names = Counter(
        o["name"]
        for o in sandbox.store.organizations.records.values()
        if o["name"].startswith("CRM Company")
    )
    assert sorted(names) == sorted(r["name"] for r in rows)
    assert set(names.values()) == {1}


def test_the_dry_run_names_the_object_and_the_reasons(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "orgs.csv", [*crm_organizations(2), {"notes": "x"}], ["name"])

    done = run(crm_sandbox, "push", "organizations", "--input", str(source), "--dry-run")

    assert done.returncode == 0, done.stderr
    assert "zdsync push organizations --dry-run (nothing was sent)" in done.stdout
    assert "row 3" in done.stdout
    assert "no external_id or name" in done.stdout


def test_an_unknown_object_is_a_usage_error(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    done = run(crm_sandbox, "push", "contacts", "--input", str(tmp_path / "x.csv"))

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "zdsync: error: no object 'contacts' to push: "
        "use one of organizations, users, identities, tickets"
    ]
