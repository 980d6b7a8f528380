"""The extract under faults: injected errors, bad credentials, a killed process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dlt
import pytest

from pipelines.zendesk import ExtractOptions, run_extract
from pipelines.zendesk.exports import epoch_of
from pipelines.zendesk.pipeline import make_pipeline
from pipelines.zendesk.streams import RESOURCE_NAMES, STREAMS
from tests.conftest import held_by_another_process, settings_for
from tests.pipelines.conftest import (
    assert_matches_truth,
    extract,
    printed_rows,
    rows,
    settings_truth,
)
from tests.pipelines.killed_runs import kill_extract_midway
from zdsync.client import ApiTokenCredentials, RateLimitSettings
from zdsync.client.secrets import Secret
from zdsync.errors import ExtractError
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import AGENT_EMAIL

FAULTY = SandboxConfig(
    rate_limits="off",
    tickets=2500,
    users=1200,
    organizations=150,
    deleted_users=60,
    faults="429:0=0.06,503:0=0.06,500=0.06,drop=0.04",
    seed=7,
)


@pytest.fixture
def faulty_sandbox() -> Iterator[Sandbox]:
    with Sandbox(FAULTY).start() as running:
        running.store.advance_clock(120)
        yield running


def test_injected_faults_end_exact(faulty_sandbox: Sandbox, db: Path) -> None:
    summary = extract(faulty_sandbox, db)

    assert faulty_sandbox.app.faults.injected > 0
    assert summary.rate_limited > 0
    assert_matches_truth(db, faulty_sandbox)


def test_bad_credentials_end_in_one_line_without_the_secret(
    small_sandbox: Sandbox, db: Path
) -> None:
    wrong = "not-the-token-d41d8cd9"
    settings = settings_for(
        small_sandbox,
        credentials=ApiTokenCredentials(small_sandbox.admin_email, Secret(wrong)),
        rate_limits=RateLimitSettings(enabled=False),
    )

    with pytest.raises(ExtractError) as raised:
        run_extract(settings, ExtractOptions(db_path=db))

    message = str(raised.value)
    assert "401" in message
    assert "\n" not in message
    assert wrong not in message
    # Nothing half-written: the next run with good credentials is exact.
    extract(small_sandbox, db)
    assert_matches_truth(db, small_sandbox)


def test_a_non_admin_gets_one_clear_line(small_sandbox: Sandbox, db: Path) -> None:
    settings = settings_for(
        small_sandbox,
        credentials=ApiTokenCredentials(AGENT_EMAIL, Secret(small_sandbox.api_token)),
        rate_limits=RateLimitSettings(enabled=False),
    )

    with pytest.raises(ExtractError, match="403") as raised:
        run_extract(settings, ExtractOptions(db_path=db, resources=("tickets",)))

    assert "\n" not in str(raised.value)


def test_an_unreachable_host_gets_one_clear_line(small_sandbox: Sandbox, db: Path) -> None:
    settings = settings_for(
        small_sandbox, origin="http://127.0.0.1:9", rate_limits=RateLimitSettings(enabled=False)
    )

    with pytest.raises(ExtractError, match=r"127\.0\.0\.1:9") as raised:
        run_extract(settings, ExtractOptions(db_path=db, resources=("tickets",)))

    assert "\n" not in str(raised.value)


def test_a_database_held_by_another_writer_gets_one_clear_line(
    small_sandbox: Sandbox, db: Path
) -> None:
    settings = settings_for(small_sandbox, rate_limits=RateLimitSettings(enabled=False))

    with (
        held_by_another_process(db),
        pytest.raises(ExtractError, match=r"cannot open .*lock") as raised,
    ):
        run_extract(settings, ExtractOptions(db_path=db, resources=("tickets",)))

    assert "\n" not in str(raised.value)
    # Nothing was fetched, so the next run starts from the beginning.
    assert not small_sandbox.app.request_log()


def _cli_env(sandbox: Sandbox) -> dict[str, str]:
    return {
        **os.environ,
        "ZENDESK_BASE_URL": sandbox.base_url,
        "ZENDESK_EMAIL": sandbox.admin_email,
        "ZENDESK_API_TOKEN": sandbox.api_token,
    }


def _ticket_pages(sandbox: Sandbox) -> list[dict[str, object]]:
    return [e for e in sandbox.app.request_log() if "incremental/tickets" in str(e["path"])]


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", tickets=12_000, users=300, organizations=20)],
    indirect=True,
)
def test_a_killed_backfill_resumes_from_its_last_batch(sandbox: Sandbox, db: Path) -> None:
    sandbox.store.advance_clock(120)
    killed_after = kill_extract_midway(
        sandbox,
        db,
        ["tickets"],
        batch_records=2000,
        pages_per_second=4,
        pages=lambda: len(_ticket_pages(sandbox)),
        kill_at=7,
    )
    assert killed_after < 12, "the run finished before it could be killed"

    extract(sandbox, db, resources=("tickets",))

    resumed = _ticket_pages(sandbox)[killed_after]
    assert "cursor" in resumed["query"]  # type: ignore[operator]
    # At most one batch (2 pages) plus the pages fetched ahead (2) is fetched twice.
    assert len(_ticket_pages(sandbox)) <= 13 + 4
    truth = sandbox.store.snapshot()["tickets"]
    assert rows(db, "tickets").keys() == truth.keys()


def test_the_cli_reports_failure_in_one_line(small_sandbox: Sandbox, db: Path) -> None:
    env = {**_cli_env(small_sandbox), "ZENDESK_API_TOKEN": "wrong-token-5f4dcc3b"}

    done = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).parent / "zdsync"), "extract", "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("zdsync: error: ")
    assert "401" in lines[-1]
    assert "wrong-token-5f4dcc3b" not in done.stderr + done.stdout


def _cli_extract(sandbox: Sandbox, db: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).parent / "zdsync"), "extract", "--db", str(db)],
        env={**_cli_env(sandbox), "ZENDESK_RATE_LIMITS": "off", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def _counts(printed: str) -> dict[str, list[int]]:
    """Per resource: new, updated, requests and 429s, as printed."""
    rows = printed_rows(printed)
    return {
        name: [int(cell.replace(",", "")) for cell in cells[:4]] for name, cells in rows.items()
    }


def _requests_to(sandbox: Sandbox, pattern: str) -> int:
    return sum(1 for e in sandbox.app.request_log() if re.match(pattern, str(e["path"])))


def test_the_cli_loads_and_summarises(small_sandbox: Sandbox, db: Path) -> None:
    done = _cli_extract(small_sandbox, db)

    truth = small_sandbox.store.snapshot()
    statuses = sum(len(s) for s in truth["compliance_deletion_statuses"].values())
    expected = {
        "users": [len(truth["users"]), 0, _requests_to(small_sandbox, "/api/v2/incremental/users")],
        "tickets": [
            len(truth["tickets"]),
            0,
            _requests_to(small_sandbox, "/api/v2/incremental/tickets"),
        ],
        "organizations": [
            len(truth["organizations"]),
            0,
            _requests_to(small_sandbox, "/api/v2/incremental/organizations"),
        ],
        "deleted_users": [
            len(truth["deleted_users"]),
            0,
            _requests_to(small_sandbox, "/api/v2/deleted_users"),
        ],
        "compliance_deletion_statuses": [
            statuses,
            0,
            _requests_to(small_sandbox, r"/api/v2/users/\d+/compliance_deletion_statuses"),
        ],
        "ticket_events": [
            len(small_sandbox.store.ticket_events.records),
            0,
            _requests_to(small_sandbox, "/api/v2/incremental/ticket_events"),
        ],
        "ticket_metric_events": [
            _visible_metric_events(small_sandbox),
            0,
            _requests_to(small_sandbox, "/api/v2/incremental/ticket_metric_events"),
        ],
        "satisfaction_ratings": [
            len(truth["satisfaction_ratings"]),
            0,
            _requests_to(small_sandbox, "/api/v2/satisfaction_ratings"),
        ],
        **{
            name: [len(listed), 0, _requests_to(small_sandbox, f"{STREAMS[name].path}$")]
            for name, listed in settings_truth(truth).items()
            if name in RESOURCE_NAMES
        },
    }
    total = [sum(row[0] for row in expected.values()), 0, len(small_sandbox.app.request_log())]
    assert _counts(done.stdout) == {
        name: [*row, 0] for name, row in {**expected, "total": total}.items()
    }
    assert_matches_truth(db, small_sandbox)

    store = small_sandbox.store
    changed, _ = sorted(truth["tickets"])[:2]
    store.update_ticket(changed, subject="Changed in Zendesk")
    store.create_ticket(subject="New in Zendesk")
    store.advance_clock(120)
    small_sandbox.app.log.clear()

    again = _counts(_cli_extract(small_sandbox, db).stdout)

    ticket_pages = _requests_to(small_sandbox, "/api/v2/incremental/tickets")
    assert again["tickets"] == [1, 1, ticket_pages, 0]
    assert again["users"][:2] == [0, 0]
    # The time-based export starts at the saved second again, so its boundary record comes back.
    assert again["organizations"][0] == 0
    assert_matches_truth(db, small_sandbox)


def _visible_metric_events(sandbox: Sandbox) -> int:
    # Breaches still ahead of the sandbox's clock are not exported yet.
    horizon = sandbox.store.horizon()
    events = sandbox.store.ticket_metric_events.records.values()
    return sum(1 for event in events if epoch_of(event["time"]) <= horizon)


def test_a_value_that_does_not_fit_its_column_stops_the_run_and_loses_nothing(
    small_sandbox: Sandbox, db: Path
) -> None:
    extract(small_sandbox, db)
    ticket_id = next(iter(small_sandbox.store.tickets.records))
    small_sandbox.store.update_ticket(ticket_id, assignee_id="not-a-number")
    small_sandbox.store.advance_clock(120)

    with pytest.raises(ExtractError) as failed:
        extract(small_sandbox, db)
    # Zendesk corrects the record; the next run picks up where the last good one ended.
    small_sandbox.store.update_ticket(ticket_id, assignee_id=None)
    small_sandbox.store.advance_clock(120)
    extract(small_sandbox, db)

    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith("tickets: ")
    assert "not-a-number" in message
    assert_matches_truth(db, small_sandbox)


def test_a_run_killed_between_dlts_two_package_steps_loads_the_package_once(
    sandbox: Sandbox, db: Path
) -> None:
    # dlt commits a normalized package, then deletes the extracted one it came from; a kill
    # between the two leaves both. Make that state: a package extracted, kept aside,
    # normalized, then put back.
    extract(sandbox, db, resources=("organizations",))
    pipeline = make_pipeline(ExtractOptions(db_path=db))
    pipeline.extract(dlt.resource([{"id": 1, "note": "left behind"}], name="probe"))
    extracted = Path(pipeline.working_dir) / "normalize" / "extracted"
    (load_id,) = pipeline.list_extracted_load_packages()
    kept = shutil.copytree(extracted / load_id, db.parent / "kept")
    pipeline.normalize()
    shutil.copytree(kept, extracted / load_id)
    assert load_id in pipeline.list_normalized_load_packages()

    extract(sandbox, db, resources=("tickets",))

    assert [r["note"] for r in rows(db, "probe").values()] == ["left behind"]
    assert rows(db, "tickets").keys() == sandbox.store.snapshot()["tickets"].keys()
    assert pipeline.list_extracted_load_packages() == []
