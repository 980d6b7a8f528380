"""The README's scheduling recipe, run as written: a Prefect server, ``prefect deploy --all``
from prefect.yaml, a process worker, and one deployment run against a sandbox in its own process.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import duckdb
import httpx
import pytest
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.objects import StateType

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEPLOYMENT = "zdsync-sync/extract-hourly"
SANDBOX = ["--rate-limits", "off", "--tickets", "300", "--users", "120", "--organizations", "12"]
SANDBOX += ["--deleted-users", "8", "--job-latency", "0.05"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(what: str, done: Callable[[], bool], seconds: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log else ""
            pytest.fail(f"still waiting for {what} after {seconds:.0f} s\n{tail}")
        time.sleep(0.25)


@contextmanager
def started(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> Iterator[IO[str]]:
    """A long-running command in its own process group, stopped (group and all) on exit."""
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603
            args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield out
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[Any]) -> None:
    for sig, grace in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        return


def prefect(*args: str, env: dict[str, str], cwd: Path = ROOT) -> str:
    done = subprocess.run(  # noqa: S603
        [str(BIN / "prefect"), *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{(done.stdout + done.stderr)[-4000:]}"
    return done.stdout


def healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def prefect_env(tmp_path: Path) -> dict[str, str]:
    """The environment of every Prefect command here: a server of its own, nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ZENDESK_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_API_URL=f"http://127.0.0.1:{free_port()}/api",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",
    )
    return env


@pytest.fixture
def sandbox_url(tmp_path: Path, prefect_env: dict[str, str]) -> Iterator[str]:
    log = tmp_path / "sandbox.log"
    port = free_port()
    command = [str(BIN / "zdsync"), "sandbox", "--port", str(port), *SANDBOX]
    with started(command, prefect_env, log, tmp_path):
        url = f"http://127.0.0.1:{port}"
        wait_for("the sandbox", lambda: "listening on" in log.read_text(), 60, log)
        # Exports withhold the last minute; step past it so the whole dataset is visible.
        httpx.post(f"{url}/_sandbox/advance_clock", json={"seconds": 120}).raise_for_status()
        yield url


def test_the_readme_recipe_deploys_and_a_worker_loads_the_sandbox(
    tmp_path: Path, prefect_env: dict[str, str], sandbox_url: str
) -> None:
    api = prefect_env["PREFECT_API_URL"]
    db = tmp_path / "warehouse.duckdb"
    worker_env = {
        **prefect_env,
        "ZENDESK_BASE_URL": sandbox_url,
        "ZENDESK_EMAIL": "admin@example.com",
        "ZENDESK_API_TOKEN": "sandbox-api-token",
        "ZENDESK_RATE_LIMITS": "off",
    }
    server = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1"]
    server += ["--port", api.split(":")[-1].removesuffix("/api")]
    with ExitStack() as stack:
        stack.enter_context(started(server, prefect_env, tmp_path / "server.log", tmp_path))
        wait_for("the Prefect server", lambda: healthy(api), 180, tmp_path / "server.log")
        prefect("work-pool", "create", "zdsync", "--type", "process", env=prefect_env)
        # As at a terminal, where Prefect may ask questions: prefect.yaml must leave none to ask.
        prefect("deploy", "--all", env={**prefect_env, "PREFECT_CLI_PROMPT": "true"})
        # The worker starts elsewhere: the deployment's pull step, not its cwd, finds the flows.
        elsewhere = tmp_path / "worker"
        elsewhere.mkdir()
        worker = [str(BIN / "prefect"), "worker", "start", "--pool", "zdsync"]
        stack.enter_context(started(worker, worker_env, tmp_path / "worker.log", elsewhere))
        queued = prefect("deployment", "run", DEPLOYMENT, "--param", f"db={db}", env=prefect_env)
        match = re.search(r"UUID: ([0-9a-f-]{36})", queued)
        assert match, queued
        client = stack.enter_context(SyncPrefectClient(api))

        def finished() -> bool:
            state = client.read_flow_run(UUID(match[1])).state
            return state is not None and state.is_final()

        wait_for("the deployment run", finished, 300, tmp_path / "worker.log")
        run = client.read_flow_run(UUID(match[1]))
        deployment = client.read_deployment_by_name(DEPLOYMENT)
        # The run's records are sent in batches; the extract's own arrives with the last ones.
        logs: list[Any] = []

        def extract_logged() -> bool:
            logs[:] = client.read_logs(limit=200)
            return any(log.name == "pipelines.zendesk.extract" for log in logs)

        wait_for("the extract's record among the run's logs", extract_logged, 30)

    assert run.state_type == StateType.COMPLETED, (tmp_path / "worker.log").read_text()[-4000:]
    (finished_line,) = [log.message for log in logs if log.name == "pipelines.zendesk.extract"]
    assert finished_line.startswith("extract finished: ")
    # dlt formats the first handler of its logger; Prefect's own lines keep Prefect's form.
    assert "Finished in state Completed()" in [log.message for log in logs]
    assert deployment.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
    ]
    truth = httpx.get(f"{sandbox_url}/_sandbox/state").json()
    with duckdb.connect(str(db), read_only=True) as con:
        for table in ("tickets", "users", "organizations", "deleted_users"):
            loaded = con.execute(f"SELECT id FROM zendesk.{table}").fetchall()  # noqa: S608
            assert sorted(i for (i,) in loaded) == sorted(r["id"] for r in truth[table]), table
        modelled = con.execute("SELECT count(*) FROM analytics.stg_tickets").fetchall()
    assert modelled == [(len(truth["tickets"]),)]
