"""The flows, run for real on a Prefect test server against the sandbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency
from prefect.settings import PREFECT_API_URL

from flows.common import writer_limit_name
from flows.extract import transient_only
from flows.sync import sync
from pipelines.zendesk import ExtractError
from tests.pipelines.conftest import assert_matches_truth
from tests.reverse_etl.conftest import crm_rows, write_csv
from zdsync.sandbox import Sandbox, SandboxConfig

ALL = ["users", "tickets", "organizations", "deleted_users", "compliance_deletion_statuses"]


def api(path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The Prefect server's REST API, read directly."""
    answer = httpx.post(f"{PREFECT_API_URL.value()}/{path}", json=body, timeout=30)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()
    return found


@pytest.fixture
def zendesk_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    config = SandboxConfig(
        rate_limits="off",
        tickets=800,
        users=300,
        organizations=30,
        deleted_users=20,
        job_latency_seconds=0.05,
    )
    with Sandbox(config).start() as sandbox:
        sandbox.store.advance_clock(120)
        monkeypatch.setenv("ZENDESK_BASE_URL", sandbox.base_url)
        monkeypatch.setenv("ZENDESK_EMAIL", sandbox.admin_email)
        monkeypatch.setenv("ZENDESK_API_TOKEN", sandbox.api_token)
        monkeypatch.setenv("ZENDESK_RATE_LIMITS", "off")
        yield sandbox


def test_the_sync_flow_extracts_transforms_and_pushes(
    prefect_server: None, zendesk_env: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "warehouse.duckdb"
    source = write_csv(tmp_path / "crm.csv", crm_rows(30))

    result = sync(resources=ALL, db=str(db), crm_input=str(source))

    assert result["push_users"]["created"] == 30
    assert "11_ticket_backlog_daily" in result["transform"]
    assert result["extract"]["resources"]["tickets"]["new"] == 800
    artifacts = {a["key"]: a["data"] for a in api("artifacts/filter", {"limit": 50})}
    assert "| tickets | 800 |" in artifacts["zdsync-extract"]
    assert "| 30 |" in artifacts["zdsync-push-users"]
    assert "| 11_ticket_backlog_daily |" in artifacts["zdsync-transform"]
    # Records from zdsync's own loggers reach the run's logs; they are sent in batches.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        newest = api("logs/filter", {"limit": 200, "sort": "TIMESTAMP_DESC"})
        messages = [log["message"] for log in newest]
        if "extract finished" in " ".join(messages):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"no extract record among the last {len(messages)} run log lines")


def test_the_extract_matches_the_sandbox_when_run_as_a_flow(
    prefect_server: None, zendesk_env: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "warehouse.duckdb"

    sync(resources=ALL, db=str(db))

    assert_matches_truth(db, zendesk_env)


def test_one_writer_per_database_file(prefect_server: None, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    name = writer_limit_name(db)
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, 1)

    with (
        concurrency(name, occupy=1, strict=True),
        pytest.raises(TimeoutError),
        concurrency(name, occupy=1, strict=True, timeout_seconds=1),
    ):
        pass

    assert writer_limit_name(db) == writer_limit_name(tmp_path / "." / "warehouse.duckdb")
    assert writer_limit_name(db) != writer_limit_name(tmp_path / "other.duckdb")


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def result(self) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (ExtractError("503 from Zendesk", transient=True), True),
        (ExtractError("401 Couldn't authenticate you"), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_transient_failures_are_retried(error: BaseException, retried: bool) -> None:
    assert transient_only(None, None, _Failed(error)) is retried
