"""``zdsync push-users`` as a user runs it, including a kill midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.reverse_etl.conftest import (
    crm_rows,
    push,
    release_jobs,
    sync_log,
    wait_for_polling,
    write_csv,
)
from zdsync.sandbox import Sandbox, SandboxConfig

ZDSYNC = str(Path(sys.executable).parent / "zdsync")


def env_for(sandbox: Sandbox) -> dict[str, str]:
    return {
        **os.environ,
        "ZENDESK_BASE_URL": sandbox.base_url,
        "ZENDESK_EMAIL": sandbox.admin_email,
        "ZENDESK_API_TOKEN": sandbox.api_token,
    }


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", users=50, tickets=10, job_latency_seconds=3600, job_cap=4)],
    indirect=True,
)
def test_a_push_killed_midway_and_run_again_accounts_for_every_row_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Jobs last an hour on the sandbox's clock, so the push advances only when the test moves
    # it: three jobs at a time (a cap of four, one slot left free).
    rows = crm_rows(2000)
    source = write_csv(tmp_path / "crm.csv", rows)
    db = tmp_path / "sync.duckdb"
    process = subprocess.Popen(  # noqa: S603
        [ZDSYNC, "push-users", "--input", str(source), "--db", str(db)],
        env=env_for(sandbox),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_polling(sandbox, 3)
        sandbox.store.advance_clock(3600)
        # Jobs 4 to 6 went out when jobs 1 to 3 were seen done, and were polled; jobs 1 to 3
        # are written down meanwhile, in a thread of their own, so the kill may come first.
        wait_for_polling(sandbox, 6)
        # Jobs 4 to 6 now take effect in Zendesk; the push is killed before it can have seen
        # more than that.
        sandbox.store.advance_clock(3600)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        release_jobs(sandbox)
    assert len(sandbox.app.jobs.jobs) <= 9

    summary = push(sandbox, tmp_path, input=source)

    log = sync_log(db, summary.run_id)
    assert [r["row_number"] for r in log] == list(range(1, 2001))
    # Rows whose jobs were done are unchanged if their results were written down before the
    # kill, and sent again to the same effect if not.
    assert {r["action"] for r in log[:600]} <= {"unchanged", "updated"}
    assert {r["action"] for r in log[600:]} <= {"created", "updated"}
    external_ids = [
        u["external_id"]
        for u in sandbox.store.users.records.values()
        if (u["external_id"] or "").startswith("crm-new-")
    ]
    assert sorted(external_ids) == sorted(r["external_id"] for r in rows)


def test_the_dry_run_prints_the_plan_and_reasons(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "crm.csv", [*crm_rows(2), {"email": "bad@", "name": "B"}])

    done = subprocess.run(  # noqa: S603
        [
            ZDSYNC,
            "push-users",
            "--input",
            str(source),
            "--db",
            str(tmp_path / "s.duckdb"),
            "--dry-run",
        ],
        env=env_for(crm_sandbox),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "nothing was sent" in done.stdout
    assert "row 3" in done.stdout
    assert "not a valid address" in done.stdout
    assert not (tmp_path / "s.duckdb").exists()


def test_a_missing_input_is_one_line(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603
        [ZDSYNC, "push-users", "--input", str(tmp_path / "nope.csv")],
        env=env_for(crm_sandbox),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"zdsync: error: no such input file: {tmp_path / 'nope.csv'}"
    ]


def test_on_duplicate_takes_only_its_three_rules(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "crm.csv", crm_rows(2))
    base = [ZDSYNC, "push-users", "--input", str(source), "--db", str(tmp_path / "s.duckdb")]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [*base, *extra],
            env=env_for(crm_sandbox),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    refused = run("--on-duplicate", "newest")
    accepted = run("--on-duplicate", "reject", "--dry-run")

    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "zdsync: error: Invalid value for '--on-duplicate': Value error, 'newest' is not one of "
        "'last', 'first', 'reject'."
    ]
    assert accepted.returncode == 0, accepted.stderr


def test_the_sync_log_holds_no_secret(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", crm_rows(5)))

    with duckdb.connect(str(tmp_path / "sync.duckdb"), read_only=True) as con:
        dump = str(con.execute("SELECT * FROM reverse_etl.user_sync_log").fetchall())
        dump += str(con.execute("SELECT * FROM reverse_etl.sync_runs").fetchall())
    assert crm_sandbox.api_token not in dump
