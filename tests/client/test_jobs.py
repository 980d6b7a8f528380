"""Waiting for one bulk job, against the sandbox's jobs and its clock."""

from __future__ import annotations

import pytest

from zdsync.client import ZendeskClient
from zdsync.client.jobs import JobTimeoutError, JobWait, job_id_of, wait_for_job
from zdsync.sandbox import Sandbox, SandboxConfig

SLOW_JOBS = SandboxConfig(rate_limits="off", users=10, tickets=5, job_latency_seconds=3600)
ROWS = [{"name": "Ada", "email": "ada@example.org"}]


@pytest.mark.parametrize("sandbox", [SLOW_JOBS], indirect=True)
def test_the_wait_ends_when_the_job_does(sandbox: Sandbox, client: ZendeskClient) -> None:
    job_id = job_id_of(client.call("users.create_or_update_many", users=ROWS))
    assert job_id is not None
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:
            sandbox.store.advance_clock(3600)

    status = wait_for_job(client, job_id, sleep=sleep)

    assert status["status"] == "completed"
    assert status["results"][0]["status"] == "Created"
    # Polls back off from the first pause: 0.25, then half as long again each time.
    assert pauses == [0.25, 0.375, 0.5625]
    polled = [e for e in sandbox.app.request_log() if e["path"].startswith("/api/v2/job_statuses")]
    assert len(polled) == 4


@pytest.mark.parametrize("sandbox", [SLOW_JOBS], indirect=True)
def test_a_job_still_running_at_the_deadline_is_a_one_line_error(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    job_id = job_id_of(client.call("users.create_or_update_many", users=ROWS))
    assert job_id is not None
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(JobTimeoutError, match=rf"^job {job_id} is still (queued|working) after 2s"):
        wait_for_job(client, job_id, JobWait(timeout_seconds=2), clock=lambda: now[0], sleep=sleep)
    assert now[0] <= 2
