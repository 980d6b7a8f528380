"""The job latency estimate follows what recent polls saw, both down and up."""

from __future__ import annotations

from zdsync.reverse_etl.job_latency import JobLatency


def test_no_estimate_before_a_job_is_seen_done() -> None:
    latency = JobLatency(resolution=0.1)
    latency.running(1.5)
    assert latency.estimate() is None


def test_bounds_further_apart_than_an_interval_look_one_interval_early() -> None:
    latency = JobLatency(resolution=0.25)
    latency.running(1.5)
    latency.done(2.5)
    assert latency.estimate() == 2.25
    latency.running(2.25)
    # Now bounded within one interval: no earlier look could find the jobs done.
    assert latency.estimate() == 2.5


def test_jobs_that_slow_down_raise_the_estimate_once_the_fast_ones_are_forgotten() -> None:
    latency = JobLatency(resolution=0.5, recent=4)
    for _ in range(4):
        latency.done(2.0)
    for seen in range(1, 5):
        latency.done(3.0)
        assert latency.estimate() == (3.0 if seen == 4 else 2.0)
