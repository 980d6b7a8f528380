"""Jobs finish when they are due, whether or not anyone is asking."""

from __future__ import annotations

import httpx

from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import ADMIN_EMAIL, API_TOKEN


def test_a_due_job_is_finished_and_its_rows_written_with_no_request_to_settle_it() -> None:
    config = SandboxConfig(rate_limits="off", users=5, tickets=1, job_latency_seconds=0.2)
    with Sandbox(config).start() as sandbox:
        jobs = sandbox.app.jobs
        answer = httpx.post(
            f"{sandbox.base_url}/api/v2/users/create_or_update_many.json",
            json={"users": [{"email": "ada@example.org", "name": "Ada"}]},
            auth=(f"{ADMIN_EMAIL}/token", API_TOKEN),
        )
        job_id = answer.json()["job_status"]["id"]

        # Nothing asks the sandbox anything from here on: only its own thread can finish the job.
        finished = jobs.wait_until(lambda j: j.jobs[job_id].status == "completed", timeout=30)

        assert finished
        assert jobs.polls == 0
        assert sandbox.store.find_user(email="ada@example.org") is not None
        log = sandbox.app.request_log()
        assert [e["path"] for e in log] == ["/api/v2/users/create_or_update_many.json"]
