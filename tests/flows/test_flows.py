"""The flows, run for real on a Prefect test server against the sandbox."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import duckdb
import pytest
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterName,
    FlowRunFilterParentFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import Log, StateType, TaskRun
from prefect.client.schemas.sorting import LogSort
from prefect.exceptions import ObjectNotFound

from flows.common import writer_limit_name
from flows.extract import extract
from flows.push_users import push_users
from flows.sync import sync
from flows.transform import transform
from tests.pipelines.conftest import assert_matches_truth
from tests.postgres import PostgresServer, create_database
from tests.postgres import query as postgres_query
from tests.reverse_etl.conftest import crm_rows, write_csv
from zdsync.client.settings import RetrySettings
from zdsync.errors import ExtractRunAgainLaterError
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.transform import models

ALL = ["users", "tickets", "organizations", "deleted_users", "compliance_deletion_statuses"]
# And the settings lists the models join (schedules bring their holidays), and the activity
# exports (ticket events bring the field history and comments).
MODELS_READ = [
    *ALL,
    "brands",
    "groups",
    "schedules",
    "ticket_forms",
    "ticket_events",
    "ticket_metric_events",
]


def subflow_tables(parent: UUID) -> dict[str, list[dict[str, Any]]]:
    """Table artifacts of ``parent``'s subflow runs, by key, read through Prefect's client."""
    children = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent]))
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(flow_run_filter=children)
    assert {a.type for a in found} == {"table"}
    return {a.key: json.loads(str(a.data)) for a in found if a.key}


def report_link(flow_run: UUID) -> str:
    """Where the flow run's report artifact links to."""
    runs = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run]))
    with get_client(sync_client=True) as client:
        (found,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["zdsync-report"])),
            flow_run_filter=runs,
        )
    assert found.type == "markdown"
    return str(found.data).split("](", 1)[1].rstrip(")")


def task_run(flow_run_name: str, task_name: str) -> TaskRun | None:
    """The flow run's task run of that name, as the Prefect server knows it."""
    runs = FlowRunFilter(name=FlowRunFilterName(any_=[flow_run_name]))
    with get_client(sync_client=True) as client:
        found = client.read_task_runs(flow_run_filter=runs)
    return next((run for run in found if run.name.startswith(task_name)), None)


def run_logs(parent: UUID, *awaited: Callable[[Log], bool]) -> list[Log]:
    """The logs of ``parent`` and its subflow runs, once each of ``awaited`` matches one.

    Records reach the server in batches, each subflow's on its own time: one subflow's last
    record says nothing of the next one's.
    """
    children = FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent]))
    found: list[Log] = []

    def arrived() -> bool:
        with get_client(sync_client=True) as client:
            runs = [parent, *(run.id for run in client.read_flow_runs(flow_run_filter=children))]
            flow_runs = LogFilter(flow_run_id=LogFilterFlowRunId(any_=runs))
            found.clear()
            # The server answers 200 records at most at a time.
            while page := client.read_logs(
                log_filter=flow_runs, limit=200, offset=len(found), sort=LogSort.TIMESTAMP_ASC
            ):
                found.extend(page)
        return all(any(match(log) for log in found) for match in awaited)

    wait_for("the records awaited among the run's logs", arrived, seconds=30)
    return found


def slots_taken(limit: str) -> int:
    with get_client(sync_client=True) as client:
        try:
            return client.read_global_concurrency_limit_by_name(limit).active_slots
        except ObjectNotFound:
            return 0


def wait_for(what: str, done: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting for {what} after {seconds:.0f} s")
        time.sleep(0.1)


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


@pytest.fixture
def dlt_at_info(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """dlt logging at INFO, where it reports every load step, and back to its level after.

    dlt reads its level when its run context starts, once a process unless reloaded: an earlier
    test that read dlt's configuration has fixed it at WARNING.
    """
    context = Container()[PluggableRunContext]
    with monkeypatch.context() as patch:
        patch.setenv("RUNTIME__LOG_LEVEL", "INFO")
        context.reload()
        yield
    context.reload()


def test_the_sync_flow_extracts_transforms_and_pushes(
    prefect_server: None, zendesk_env: Sandbox, tmp_path: Path, dlt_at_info: None
) -> None:
    db = tmp_path / "warehouse.duckdb"
    source = write_csv(tmp_path / "crm.csv", crm_rows(30))

    state = sync(resources=ALL, db=db, crm_input=source, return_state=True)

    result = state.result()
    assert result["push_users"]["created"] == 30
    assert "11_ticket_backlog_daily" in result["transform"]
    assert result["extract"]["resources"]["tickets"]["new"] == 800
    assert state.state_details.flow_run_id is not None
    tables = subflow_tables(state.state_details.flow_run_id)
    *loaded, total = tables["zdsync-extract"]
    assert {row["resource"]: row["new"] for row in loaded} == {
        name: counts["new"] for name, counts in result["extract"]["resources"].items()
    }
    assert {row["resource"]: row["new"] for row in loaded}["tickets"] == 800
    assert (total["resource"], total["requests"]) == ("total", result["extract"]["requests"])
    (pushed,) = tables["zdsync-push-users"]
    assert (pushed["rows"], pushed["created"], pushed["failed"]) == (30, 30, 0)
    assert [row["model"] for row in tables["zdsync-transform"]] == result["transform"]
    report = Path(result["report"])
    assert report == (tmp_path / "warehouse-report.html").resolve()
    assert "<h2>Open backlog over time, by status</h2>" in report.read_text()
    assert report_link(state.state_details.flow_run_id) == report.as_uri()
    # Records reach the server in batches: wait for the last one of each part read below.
    logs = run_logs(
        state.state_details.flow_run_id,
        lambda log: log.name == "pipelines.zendesk.extract",
        lambda log: log.message.startswith("push: 30/30 rows, "),
        lambda log: log.message == "Finished in state Completed()",
    )
    (finished,) = [log.message for log in logs if log.name == "pipelines.zendesk.extract"]
    assert finished.startswith("extract finished: ")
    # Progress reaches the run's log as plain lines, the last of each resource when it is done.
    progress = [log.message for log in logs if log.message.startswith("tickets: ")]
    assert progress[-1].startswith("tickets: 800 records, ")
    assert progress[-1].endswith(", done")
    assert any(log.message.startswith("push: 30/30 rows, ") for log in logs)
    assert any(log.name == "dlt" for log in logs)
    # dlt formats the first handler of its logger; Prefect's own lines keep Prefect's form.
    assert "Finished in state Completed()" in [log.message for log in logs]


def test_the_extract_matches_the_sandbox_when_run_as_a_flow(
    prefect_server: None, zendesk_env: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "warehouse.duckdb"

    sync(resources=ALL, db=db)

    assert_matches_truth(db, zendesk_env)


def test_a_second_flow_on_the_same_file_waits_for_the_first(
    prefect_server: None, zendesk_env: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "warehouse.duckdb"
    first, second = (f"{role}-{uuid4().hex[:8]}" for role in ("extract", "transform"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        # The sandbox answers nothing while its lock is held: the extract stalls in its slot.
        with zendesk_env.store.lock:
            extracting = pool.submit(
                extract.with_options(flow_run_name=first), resources=ALL, db=db
            )
            wait_for(
                "the extract to take the file", lambda: slots_taken(writer_limit_name(db)) == 1
            )
            transforming = pool.submit(transform.with_options(flow_run_name=second), db=db)
            wait_for(
                "the transform to start",
                lambda: transforming.done() or _running(second, "run_models_task"),
            )
            assert not transforming.done()
        extracted = extracting.result(timeout=240)
        built = transforming.result(timeout=240)

    assert extracted["resources"]["tickets"]["new"] == 800
    assert "11_ticket_backlog_daily" in built
    loading, modelling = task_run(first, "run_extract_task"), task_run(second, "run_models_task")
    assert loading is not None
    assert modelling is not None
    assert loading.end_time is not None
    assert modelling.start_time is not None
    assert modelling.start_time < loading.end_time
    # The models read the whole load: the transform ran only once the extract let go.
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM analytics.stg_tickets").fetchall() == [(800,)]


def _running(flow_run_name: str, task_name: str) -> bool:
    run = task_run(flow_run_name, task_name)
    return run is not None and run.state_type == StateType.RUNNING


def test_writer_limits_are_named_after_the_resolved_file(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"

    assert writer_limit_name(db) == writer_limit_name(tmp_path / "." / "warehouse.duckdb")
    assert writer_limit_name(db) != writer_limit_name(tmp_path / "other.duckdb")


def test_the_flows_load_and_model_the_destination_zdsync_destination_names(
    prefect_server: None,
    zendesk_env: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres: PostgresServer,
) -> None:
    db = tmp_path / "warehouse.duckdb"
    url = create_database(postgres.url(), "flows")
    monkeypatch.setenv("ZDSYNC_DESTINATION", "postgres")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", url)

    result = sync(resources=["tickets"], db=db)

    assert result["extract"]["destination"] == "postgres"
    assert result["transform"] == [path.name.removesuffix(".sql") for path in models()]
    assert not db.exists()
    # The first run also loaded the raw tables the models read, though only tickets were named.
    assert_matches_truth(url, zendesk_env)
    staged = postgres_query(url, "SELECT count(*) AS n FROM analytics.stg_tickets")
    assert staged == [{"n": len(zendesk_env.store.snapshot()["tickets"])}]


def test_the_extract_flow_starts_exports_at_its_start_date(
    prefect_server: None, zendesk_env: Sandbox, tmp_path: Path
) -> None:
    start = datetime(2021, 6, 1, tzinfo=UTC)

    extract(resources=["tickets"], db=tmp_path / "warehouse.duckdb", start_date=start.date())

    first = next(e for e in zendesk_env.app.request_log() if "tickets/cursor" in e["path"])
    assert first["query"]["start_time"] == str(int(start.timestamp()))


def test_the_push_flow_sends_one_request_per_user_in_single_mode(
    prefect_server: None, zendesk_env: Sandbox, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "crm.csv", crm_rows(5))

    result = push_users(input=source, db=tmp_path / "sync.duckdb", single=True)

    assert result["created"] == 5
    posts = [e["path"] for e in zendesk_env.app.request_log() if e["method"] == "POST"]
    assert [path.removesuffix(".json") for path in posts] == ["/api/v2/users/create_or_update"] * 5


def test_the_first_sync_of_a_new_file_also_loads_what_the_models_read(
    prefect_server: None, zendesk_env: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "warehouse.duckdb"
    hourly = ["users", "tickets", "organizations"]

    first = sync(resources=hourly, db=db)
    zendesk_env.app.log.clear()
    second = sync(resources=hourly, db=db)

    assert "13_gdpr_deletion_progress" in first["transform"]
    assert sorted(first["extract"]["resources"]) == sorted(MODELS_READ)
    assert sorted(second["extract"]["resources"]) == sorted(hourly)
    assert not [e for e in zendesk_env.app.request_log() if "deleted" in e["path"]]
    assert_matches_truth(db, zendesk_env)


def test_a_transient_failure_is_retried_by_the_client_alone(
    prefect_server: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    name = f"extract-{uuid4().hex[:8]}"
    # Every request answers 503 with Retry-After: 0, so the client's retries take no time.
    config = SandboxConfig(rate_limits="off", tickets=10, users=5, faults="503:0=1.0")
    with Sandbox(config).start() as sandbox:
        monkeypatch.setenv("ZENDESK_BASE_URL", sandbox.base_url)
        monkeypatch.setenv("ZENDESK_EMAIL", sandbox.admin_email)
        monkeypatch.setenv("ZENDESK_API_TOKEN", sandbox.api_token)
        monkeypatch.setenv("ZENDESK_RATE_LIMITS", "off")
        state = extract.with_options(flow_run_name=name)(
            resources=["tickets"], db=tmp_path / "warehouse.duckdb", return_state=True
        )
        requests = [e for e in sandbox.app.request_log() if "tickets/cursor" in e["path"]]

    assert state.is_failed()
    assert isinstance(state.result(raise_on_failure=False), ExtractRunAgainLaterError)
    loading = task_run(name, "run_extract_task")
    assert loading is not None
    assert loading.run_count == 1
    assert len(requests) == RetrySettings().max_attempts
