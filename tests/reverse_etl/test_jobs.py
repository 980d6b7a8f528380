"""The bulk sender against the sandbox, on a clock of its own: when it polls, what it asks,
how it fills job slots and sends failed jobs again.

The sender's clock only moves when it sleeps, and each sleep moves the sandbox's clock by as
much. The sandbox's clock is pinned (it no longer follows the wall), so jobs finish at exact
points of the sender's time however slow this machine is, and no test waits for real.
"""

from __future__ import annotations

import json
import logging
import threading
import time as wall
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conftest import settings_for
from zdsync.client import ApiTokenCredentials, RateLimitSettings, ZendeskClient
from zdsync.client.secrets import Secret
from zdsync.errors import BulkImportsDisabledError, BulkWriteNotAllowedError
from zdsync.reverse_etl.bulk_request import BULK_PATH
from zdsync.reverse_etl.job_policies import PollPolicy, Resubmit
from zdsync.reverse_etl.job_records import Finished, failed_as_a_whole
from zdsync.reverse_etl.jobs import SHOW_MANY_PATH, BulkSender
from zdsync.reverse_etl.plan import PlannedRow
from zdsync.reverse_etl.rows import InputRow
from zdsync.sandbox import Fault, Sandbox, SandboxConfig
from zdsync.sandbox.config import AGENT_EMAIL, API_TOKEN
from zdsync.sandbox.store import Clock

START = 1000.0
# Far past any test's last job: a sender still sleeping then would never stop.
RUNAWAY = 100_000.0


class PinnedClock(Clock):
    """The sandbox's clock without the wall: it moves only when the test moves it."""

    def __init__(self) -> None:
        super().__init__()
        # Whole seconds, so every sum of the tests' binary-exact steps is exact too.
        self.base = float(int(wall.time()))

    def now(self) -> float:
        return self.base + self.offset


@dataclass
class SenderTime:
    """The sender's clock and sleep; a sleep moves the sandbox's clock along with it."""

    sandbox: Sandbox
    now: float = START
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert self.now - START < RUNAWAY, f"still sleeping after {len(self.sleeps)} sleeps"
        self.sleeps.append(seconds)
        self.pass_time(seconds)

    def pass_time(self, seconds: float) -> None:
        self.now += seconds
        self.sandbox.store.advance_clock(seconds)


@dataclass
class Reports:
    """What ``on_done`` was given, call by call, and the sender's time of each call."""

    time: SenderTime
    calls: list[list[Finished]] = field(default_factory=list)
    at: list[float] = field(default_factory=list)

    def __call__(self, finished: list[Finished]) -> None:
        self.calls.append(finished)
        self.at.append(self.time.now - START)

    def rows(self) -> list[list[str]]:
        return [[item.payload["email"] for item in done.batch] for c in self.calls for done in c]


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Parametrise with ``(job_latency_seconds, job_cap)``."""
    latency, cap = getattr(request, "param", (50.0, 2))
    config = SandboxConfig(
        rate_limits="off", users=20, tickets=5, job_latency_seconds=latency, job_cap=cap
    )
    with Sandbox(config).start() as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[ZendeskClient]:
    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False))
    with ZendeskClient(settings, sleep=lambda _: None) as zendesk:
        yield zendesk


@pytest.fixture
def time(sandbox: Sandbox) -> SenderTime:
    sandbox.store.clock = PinnedClock()
    return SenderTime(sandbox)


def sender(
    client: ZendeskClient, time: SenderTime, poll: PollPolicy, **options: Any
) -> tuple[BulkSender, Reports]:
    """A sender on the test's time; its reports come in its own thread, unless told otherwise,
    so that when they come is part of what a test checks."""
    reports = Reports(time)
    options.setdefault("write_behind", False)
    bulk = BulkSender(client, reports, poll=poll, clock=time.clock, sleep=time.sleep, **options)
    return bulk, reports


def batches(count: int, size: int = 1, prefix: str = "row") -> list[list[PlannedRow]]:
    return [
        [
            PlannedRow(
                InputRow(n, {}), payload={"email": f"{prefix}.{n}@example.net", "name": f"N {n}"}
            )
            for n in range(b * size, (b + 1) * size)
        ]
        for b in range(count)
    ]


def polls(sandbox: Sandbox) -> list[list[str]]:
    """The job ids of each ``show_many`` poll, in order."""
    return [
        e["query"]["ids"].split(",")
        for e in sandbox.app.request_log()
        if e["path"].startswith(SHOW_MANY_PATH)
    ]


def said_by_sender(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "zdsync.reverse_etl.jobs"]


def job_ids(sandbox: Sandbox) -> list[str]:
    return list(sandbox.app.jobs.jobs)


def test_until_a_job_has_finished_polls_double_up_to_the_first_job_interval(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=40))

    bulk.run(batches(1))

    # The job is due 50s in: the poll at 35s cannot see it done, the one at 75s does.
    assert time.sleeps == [5, 10, 20, 40]
    assert (bulk.polls, len(polls(sandbox))) == (4, 4)
    assert reports.at == [75]
    ((done,),) = reports.calls
    assert done.job is not None
    assert (done.job["status"], done.tries) == ("completed", 1)


def test_polls_come_when_the_oldest_job_should_be_done(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=5))

    bulk.run(batches(4))

    # One job at a time, each due 50s after it was sent. The first is seen done at 50s; from
    # then on one poll, the shortest latency seen after each job was sent, finds it done.
    assert time.sleeps == [5] * 10 + [50, 50, 50]
    assert reports.at == [50, 100, 150, 200]
    assert reports.rows() == [[f"row.{n}@example.net"] for n in range(4)]
    assert (bulk.jobs, bulk.polls) == (4, len(time.sleeps))


def test_a_late_first_measurement_does_not_hold_back_the_jobs_after_it(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=40))

    def faster_from_now_on(finished: list[Finished]) -> None:
        reports(finished)
        sandbox.app.jobs.config.job_latency_seconds = 42

    bulk.on_done = faster_from_now_on
    bulk.run(batches(4))

    # The first job, due at 50s, is first seen done at 75s: it took between 35s and 75s. Each
    # later job is looked for one interval earlier than the last was seen done, and the jobs
    # taking 42s from the third on are found 5s sooner each time until that is reached.
    assert time.sleeps == [5, 10, 20, 40, 70, 65, 60]
    assert reports.at == [75, 145, 210, 270]
    assert bulk.polls == len(time.sleeps)


def test_a_job_running_late_is_polled_less_and_less_often(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=5))

    def slower_from_now_on(finished: list[Finished]) -> None:
        reports(finished)
        sandbox.app.jobs.config.job_latency_seconds = 500

    bulk.on_done = slower_from_now_on
    bulk.run(batches(3))

    # The second job was sent before the first was reported, so only the third is slow: due
    # at 600s, it is polled at the expected 150s, three more times at the minimum interval,
    # then at doubling intervals up to the maximum.
    assert time.sleeps == [5] * 10 + [50] + [50, 5, 5, 5, 10, 20, 40, 80, 150, 150]
    assert reports.at == [50, 100, 615]


def test_a_poll_already_due_is_made_at_once(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=5))

    def slow_to_write_down(finished: list[Finished]) -> None:
        reports(finished)
        time.pass_time(100)

    bulk.on_done = slow_to_write_down
    bulk.run(batches(2))

    # The second job, sent at 50s, is due at 100s; writing the first down lasts until 150s,
    # when the next poll was long due.
    assert time.sleeps == [5] * 10 + [0.0]
    assert reports.at == [50, 150]


@pytest.mark.parametrize("sandbox", [(50.0, 120)], indirect=True)
def test_the_account_cap_fills_every_slot_and_a_poll_asks_for_the_oldest_hundred(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=40))

    bulk.run(batches(125))

    ids = job_ids(sandbox)
    log = sandbox.app.request_log()
    first_poll = next(i for i, e in enumerate(log) if e["path"].startswith(SHOW_MANY_PATH))
    # The sandbox's header says 120 jobs: all but the margin's one are sent before any poll.
    assert [e["path"] for e in log[:first_poll]] == [BULK_PATH] * 119
    asked = polls(sandbox)
    # Sent side by side, the jobs reach Zendesk in any order; the sender's oldest are its
    # first hundred batches.
    sent = {job.id: job.rows[0]["email"] for job in sandbox.app.jobs.jobs.values()}
    assert [sent[i] for i in asked[0]] == [f"row.{n}@example.net" for n in range(100)]
    assert max(len(p) for p in asked) == 100
    assert {i for p in asked for i in p} == set(ids)
    assert len(ids) == bulk.jobs == 125
    assert sum(len(c) for c in reports.calls) == 125


@pytest.mark.parametrize("sandbox", [(50.0, 3)], indirect=True)
def test_jobs_a_poll_finds_done_are_reported_together_after_their_slots_are_refilled(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    sent_before_report: list[int] = []
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=5))

    def count_sent(finished: list[Finished]) -> None:
        reports(finished)
        sent_before_report.append(len(job_ids(sandbox)))

    bulk.on_done = count_sent
    bulk.run(batches(5))

    assert [len(c) for c in reports.calls] == [2, 2, 1]
    assert reports.rows() == [[f"row.{n}@example.net"] for n in range(5)]
    assert sent_before_report == [4, 5, 5]


@pytest.mark.parametrize("sandbox", [(50.0, 4)], indirect=True)
def test_a_margin_as_large_as_the_cap_still_runs_one_job_at_a_time(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=5), margin=4)

    bulk.run(batches(2))

    assert reports.at == [50, 100]
    assert sandbox.app.jobs.too_many_jobs == 0


def test_a_job_that_failed_as_a_whole_goes_again_after_a_doubling_backoff(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.app.jobs.fail_next_jobs(2, message="Internal error")
    bulk, reports = sender(
        client, time, PollPolicy(5, 150, first_job_interval=5), resubmit=Resubmit(3, 30)
    )

    with caplog.at_level(logging.WARNING, logger="zdsync.reverse_etl.jobs"):
        bulk.run(batches(1))

    # Failed at 50s, sent again at 80s, failed at 130s, sent again at 190s, done at 240s.
    assert time.sleeps == [5] * 10 + [30, 50, 60, 50]
    ((done,),) = reports.calls
    assert done.job is not None
    assert (done.job["status"], done.tries, reports.at) == ("completed", 3, [240])
    assert (bulk.jobs, bulk.failed_jobs) == (3, 2)
    first, second, _ = job_ids(sandbox)
    said = "failed as a whole (Internal error); its 1 rows go again in"
    assert said_by_sender(caplog) == [
        f"job {first} {said} 30.0s, try 2 of 3",
        f"job {second} {said} 60.0s, try 3 of 3",
    ]


def test_a_job_that_fails_on_every_try_is_reported_failed_after_the_last(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    sandbox.app.jobs.fail_next_jobs(2)
    bulk, reports = sender(
        client, time, PollPolicy(5, 150, first_job_interval=5), resubmit=Resubmit(2, 30)
    )

    bulk.run(batches(1))

    ((done,),) = reports.calls
    assert done.job is not None
    assert (done.job["status"], done.job["results"], done.tries) == ("failed", None, 2)
    assert (bulk.jobs, bulk.failed_jobs, len(job_ids(sandbox))) == (2, 2, 2)


def test_a_batch_due_to_go_again_takes_the_next_free_slot_before_new_batches(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    sandbox.app.jobs.fail_next_jobs(1)
    bulk, reports = sender(
        client, time, PollPolicy(5, 150, first_job_interval=5), resubmit=Resubmit(3, 30)
    )

    bulk.run(batches(3))

    # The first batch fails at 50s and may go again from 80s; the second is in flight till 100s.
    sent = [job.rows[0]["email"] for job in sandbox.app.jobs.jobs.values()]
    assert sent == [f"row.{n}@example.net" for n in (0, 1, 0, 2)]
    assert reports.rows() == [[f"row.{n}@example.net"] for n in (1, 0, 2)]
    assert [done.tries for c in reports.calls for done in c] == [1, 2, 1]


def test_a_batch_zendesk_refuses_is_reported_unsent_and_the_rest_go_on(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=5))
    too_big, fine = batches(1, size=101, prefix="big"), batches(1)

    bulk.run([*too_big, *fine])

    (refused,), (done,) = reports.calls
    (answer,) = [e for e in sandbox.app.request_log() if e["status"] == 400]
    assert (refused.batch, refused.job, refused.tries) == (too_big[0], None, 1)
    assert refused.reason == (
        "not sent: 400 InvalidValue: At most 100 users can be sent per request "
        f"({answer['method']} {answer['path']})"
    )
    assert done.batch == fine[0]
    assert bulk.jobs == 1


def test_failed_polls_count_as_ones_that_found_nothing(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime, caplog: pytest.LogCaptureFixture
) -> None:
    attempts = client.settings.retry.max_attempts
    sandbox.app.faults.queue(Fault("500"), path_prefix=SHOW_MANY_PATH, times=2 * attempts)
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=40))

    with caplog.at_level(logging.WARNING, logger="zdsync.reverse_etl.jobs"):
        bulk.run(batches(1))

    # The first two polls fail, and the interval doubles after each as after an empty poll.
    assert time.sleeps == [5, 10, 20, 40]
    assert reports.at == [75]
    said = said_by_sender(caplog)
    assert len(said) == 2
    for message in said:
        assert message.startswith("polling jobs failed, will poll again: 500 ")
        assert SHOW_MANY_PATH in message


def test_a_retry_due_within_a_second_is_waited_for_exactly(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.app.jobs.fail_next_jobs(1, message="")
    bulk, reports = sender(
        client, time, PollPolicy(5, 150, first_job_interval=5), resubmit=Resubmit(2, 0.5)
    )

    with caplog.at_level(logging.WARNING, logger="zdsync.reverse_etl.jobs"):
        bulk.run(batches(1))

    # Failed at 50s with nothing in flight: the wait is the half second left, then the new job,
    # due at 100.5s, is polled the 50s latency seen after it was sent.
    assert time.sleeps == [5] * 10 + [0.5, 50]
    assert reports.at == [100.5]
    first, _ = job_ids(sandbox)
    assert said_by_sender(caplog) == [
        f"job {first} failed as a whole (no message); its 1 rows go again in 0.5s, try 2 of 2"
    ]


@pytest.mark.parametrize("sandbox", [(50.0, 3)], indirect=True)
def test_a_job_out_of_tries_does_not_hide_the_jobs_the_same_poll_found_done(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    sandbox.app.jobs.fail_next_jobs(1)
    bulk, reports = sender(
        client, time, PollPolicy(5, 150, first_job_interval=5), resubmit=Resubmit(1, 30)
    )

    bulk.run(batches(2))

    ((failed, done),) = reports.calls
    assert failed.job is not None
    assert done.job is not None
    assert [failed.job["status"], done.job["status"]] == ["failed", "completed"]
    assert reports.rows() == [["row.0@example.net"], ["row.1@example.net"]]
    assert (bulk.jobs, bulk.failed_jobs) == (2, 1)


class WithoutJobCapHeader(httpx.HTTPTransport):
    """Real HTTP to the sandbox, but answers lose the in-flight jobs header."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.headers.pop("zendesk-ratelimit-inflight-jobs", None)
        return response


@pytest.mark.parametrize("sandbox", [(50.0, 40)], indirect=True)
def test_an_account_that_does_not_say_its_job_cap_gets_zendesks_thirty(
    sandbox: Sandbox, time: SenderTime
) -> None:
    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False))
    with ZendeskClient(settings, transport=WithoutJobCapHeader(), sleep=lambda _: None) as bare:
        bulk, reports = sender(bare, time, PollPolicy(5, 150, first_job_interval=40))
        bulk.run(batches(35))

    log = sandbox.app.request_log()
    first_poll = next(i for i, e in enumerate(log) if e["path"].startswith(SHOW_MANY_PATH))
    # 30 jobs at once less the margin's one, though the sandbox would take 40.
    assert [e["path"] for e in log[:first_poll]] == [BULK_PATH] * 29
    assert sum(len(c) for c in reports.calls) == bulk.jobs == 35


@pytest.mark.parametrize(
    ("status", "whole"),
    [
        ({"id": "j", "status": "failed", "results": None}, True),
        ({"id": "j", "status": "killed"}, True),
        (
            {"id": "j", "status": "failed", "results": [{"index": 0, "error": "InvalidValue"}]},
            False,
        ),
        ({"id": "j", "status": "completed", "results": []}, False),
        ({"id": "j", "status": "working", "results": None}, False),
    ],
)
def test_only_a_failed_or_killed_job_without_row_results_failed_as_a_whole(
    status: dict[str, Any], whole: bool
) -> None:
    assert failed_as_a_whole(status) is whole


def test_a_slow_job_does_not_loosen_the_latency_estimate(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=5))

    def slower_from_now_on(finished: list[Finished]) -> None:
        reports(finished)
        sandbox.app.jobs.config.job_latency_seconds = 100

    bulk.on_done = slower_from_now_on
    bulk.run(batches(4))

    # The third job, sent at 100s, is seen done at 235s; the fourth, sent then, is still
    # first polled 50s in, from the 50s the first two took.
    late = [50, 5, 5, 5, 10, 20, 40]
    assert time.sleeps == [5] * 10 + [50] + late + late
    assert reports.at == [50, 100, 235, 370]


def test_a_resend_zendesk_refuses_is_reported_unsent_after_its_tries(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    sandbox.app.jobs.fail_next_jobs(1)
    attempts = client.settings.retry.max_attempts
    reports = Reports(time)

    def wait_then_refuse(seconds: float) -> None:
        time.sleep(seconds)
        # Only the backoff is waited with nothing in flight: the resend comes next.
        if not sandbox.app.jobs.in_flight():
            sandbox.app.faults.queue(Fault("500"), path_prefix=BULK_PATH, times=attempts)

    bulk = BulkSender(
        client,
        reports,
        poll=PollPolicy(5, 150, first_job_interval=5),
        resubmit=Resubmit(3, 30),
        clock=time.clock,
        sleep=wait_then_refuse,
    )
    bulk.run(batches(1))

    ((refused,),) = reports.calls
    assert (refused.job, refused.tries, reports.at) == (None, 2, [80])
    assert refused.reason is not None
    assert refused.reason.startswith("not sent: 500 ")
    assert (bulk.jobs, bulk.failed_jobs, len(job_ids(sandbox))) == (1, 1, 1)


class KilledNotFailed(httpx.HTTPTransport):
    """Real HTTP to the sandbox, but a failed job reads ``killed``, as older accounts say."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if not request.url.path.startswith(SHOW_MANY_PATH):
            return response
        body = json.loads(response.read())
        response.close()
        for status in body.get("job_statuses") or []:
            if status["status"] == "failed":
                status["status"] = "killed"
        return httpx.Response(response.status_code, json=body)


def test_a_killed_job_goes_again_like_a_failed_one(sandbox: Sandbox, time: SenderTime) -> None:
    sandbox.app.jobs.fail_next_jobs(1)
    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False))
    with ZendeskClient(settings, transport=KilledNotFailed(), sleep=lambda _: None) as zendesk:
        bulk, reports = sender(
            zendesk, time, PollPolicy(5, 150, first_job_interval=5), resubmit=Resubmit(2, 30)
        )
        bulk.run(batches(1))

    # Killed at 50s, sent again at 80s, done at 130s.
    assert time.sleeps == [5] * 10 + [30, 50]
    ((done,),) = reports.calls
    assert done.job is not None
    assert (done.job["status"], done.tries, reports.at) == ("completed", 2, [130])
    assert (bulk.jobs, bulk.failed_jobs) == (2, 1)


def test_an_account_without_bulk_imports_stops_the_run_with_zendesks_words() -> None:
    config = SandboxConfig(rate_limits="off", users=5, tickets=1, bulk_imports_enabled=False)
    with Sandbox(config).start() as running:
        settings = settings_for(running, rate_limits=RateLimitSettings(enabled=False))
        with ZendeskClient(settings, sleep=lambda _: None) as zendesk:
            bulk = BulkSender(zendesk, Reports(SenderTime(running)))
            with pytest.raises(BulkImportsDisabledError) as raised:
                bulk.run(batches(1))

    assert "Bulk user imports are not enabled for this account" in str(raised.value)
    assert "403" in str(raised.value)


def test_credentials_that_may_not_write_in_bulk_stop_the_run_with_zendesks_words(
    sandbox: Sandbox, time: SenderTime
) -> None:
    settings = settings_for(
        sandbox,
        credentials=ApiTokenCredentials(AGENT_EMAIL, Secret(API_TOKEN)),
        rate_limits=RateLimitSettings(enabled=False),
    )
    with ZendeskClient(settings, sleep=lambda _: None) as agent:
        bulk, reports = sender(agent, time, PollPolicy())
        with pytest.raises(BulkWriteNotAllowedError) as raised:
            bulk.run(batches(1))

    assert "You do not have access to this page" in str(raised.value)
    assert "403" in str(raised.value)
    assert (reports.calls, job_ids(sandbox)) == ([], [])


@pytest.mark.parametrize("sandbox", [(50.0, 4)], indirect=True)
def test_a_running_jobs_progress_times_the_first_poll_that_finds_it_done(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, reports = sender(client, time, PollPolicy(5, 150, first_job_interval=40))

    bulk.run(batches(6, size=100))

    # The poll at 35s finds the jobs 70% done: they will be done at 50s, and one poll then finds
    # all three. The next three go at once; they took between 35s and 50s, so the first poll
    # looks one interval early, at 45s, and the next one, at 50s, finds them done.
    assert time.sleeps == [5, 10, 20, 15, 45, 5]
    assert reports.at == [50, 100]
    assert [len(c) for c in reports.calls] == [3, 3]
    assert [len(ids) for ids in polls(sandbox)] == [3] * 6
    posts = [e for e in sandbox.app.request_log() if e["path"] == BULK_PATH]
    assert (len(posts), bulk.jobs, sandbox.app.jobs.too_many_jobs) == (6, 6, 0)


@pytest.mark.parametrize("sandbox", [(50.0, 3)], indirect=True)
def test_a_slot_is_refilled_when_its_job_is_seen_done_while_the_others_run(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    jobs = sandbox.app.jobs

    class SlowerAfterTheFirstJob(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(request)
            if request.url.path == BULK_PATH:
                jobs.config.job_latency_seconds = 100
            return response

    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False))
    with ZendeskClient(settings, transport=SlowerAfterTheFirstJob(), sleep=lambda _: None) as bare:
        bulk, reports = sender(bare, time, PollPolicy(5, 150, first_job_interval=5))
        bulk.run(batches(3))

    # The first job is due at 50s, the second at 100s: the third takes the first's slot at 50s.
    first, second, third = jobs.jobs.values()
    assert [job.created - first.created for job in (second, third)] == [0, 50]
    assert second.finished_at is not None
    assert second.finished_at - first.created == 100
    assert reports.rows() == [[f"row.{n}@example.net"] for n in range(3)]
    assert jobs.too_many_jobs == 0


class PostsMeet(httpx.HTTPTransport):
    """Real HTTP to the sandbox; from the second, bulk POSTs wait until ``parties`` of them are
    under way at once, and fail if they never are."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=30)
        self.posts = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            with self._lock:
                self.posts += 1
                first = self.posts == 1
            if not first:
                self.barrier.wait()
        return super().handle_request(request)


@pytest.mark.parametrize("sandbox", [(50.0, 5)], indirect=True)
def test_after_the_first_job_a_waves_posts_go_side_by_side(
    sandbox: Sandbox, time: SenderTime
) -> None:
    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False))
    transport = PostsMeet(parties=3)
    with ZendeskClient(settings, transport=transport, sleep=lambda _: None) as zendesk:
        bulk, reports = sender(zendesk, time, PollPolicy(5, 150, first_job_interval=5), senders=3)
        # The first goes alone and says the cap is 5: the other three of the margin's four
        # slots are filled together, so the barrier of three opens.
        bulk.run(batches(4))

    assert transport.posts == bulk.jobs == 4
    assert sum(len(c) for c in reports.calls) == 4
    assert sandbox.app.jobs.too_many_jobs == 0


@pytest.mark.parametrize("sandbox", [(50.0, 3)], indirect=True)
def test_jobs_go_on_being_sent_and_polled_while_a_report_is_written_down(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    jobs = sandbox.app.jobs
    bulk, reports = sender(
        client, time, PollPolicy(5, 150, first_job_interval=5), write_behind=True
    )
    caught_up: list[bool] = []

    def slow_first_report(finished: list[Finished]) -> None:
        if not reports.calls:
            # Holds the first report until the sender has sent every job and seen the next
            # two done: it can only if it did not wait for this report.
            caught_up.append(jobs.wait_until(lambda j: len(j.jobs) == 6, timeout=30))
            caught_up.append(
                jobs.wait_until(lambda j: len([x for x in j.jobs.values() if x.results]) == 6)
            )
        reports(finished)

    bulk.on_done = slow_first_report
    bulk.run(batches(6))

    assert caught_up == [True, True]
    assert len(reports.calls[0]) == 2
    assert sorted(reports.rows()) == sorted([f"row.{n}@example.net"] for n in range(6))
    assert bulk.jobs == 6


def test_what_the_report_raises_ends_the_run(
    sandbox: Sandbox, client: ZendeskClient, time: SenderTime
) -> None:
    bulk, _ = sender(client, time, PollPolicy(5, 150, first_job_interval=5), write_behind=True)

    def disk_full(finished: list[Finished]) -> None:
        raise OSError("No space left on device")

    bulk.on_done = disk_full
    with pytest.raises(OSError, match="No space left on device"):
        bulk.run(batches(3))


def test_the_interval_between_polls_runs_from_the_last_answer(
    sandbox: Sandbox, time: SenderTime
) -> None:
    asked: list[float] = []
    answered: list[float] = []

    class SlowToAnswerPolls(httpx.HTTPTransport):
        """Real HTTP to the sandbox; each poll's answer takes 3s of the test's time to arrive."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            polling = request.url.path.startswith(SHOW_MANY_PATH)
            if polling:
                asked.append(time.now - START)
            response = super().handle_request(request)
            if polling:
                time.pass_time(3)
                answered.append(time.now - START)
            return response

    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False))
    with ZendeskClient(settings, transport=SlowToAnswerPolls(), sleep=lambda _: None) as slow:
        bulk, reports = sender(slow, time, PollPolicy(5, 150, first_job_interval=5))
        bulk.run(batches(1))

    # The job is due at 50s: the poll asked at 45s cannot see it, the one asked at 53s does.
    assert asked == [5, 13, 21, 29, 37, 45, 53]
    assert [a - b for a, b in zip(asked[1:], answered, strict=False)] == [5] * 6
    assert reports.at == [56]
