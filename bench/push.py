"""The reverse-ETL benchmark: 10,000 CRM users into the sandbox through bulk jobs.

Run with ``make bench``. The sandbox runs in its own process with a job latency of a few
seconds and Zendesk's 30-job cap. Printed: users per minute against the ceiling
30 x 100 / latency, jobs and POST requests against ceil(rows / 100), polls per second, and the
second push with 1% of rows changed. ``--rows N`` pushes N rows instead of 10,000: with more
rows the last, partly filled round of jobs weighs less against the ceiling.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import tempfile
import time
from pathlib import Path

from bench.extract import sandbox
from tests.reverse_etl.conftest import crm_rows, write_csv
from zdsync.client import Settings
from zdsync.reverse_etl.push import PushOptions, push_users
from zdsync.sandbox.config import ADMIN_EMAIL, API_TOKEN

log = logging.getLogger("bench")
ROWS = 10_000
JOB_LATENCY = 3.0
JOB_CAP = 30


def main() -> None:
    parser = argparse.ArgumentParser(description="The reverse-ETL benchmark.")
    parser.add_argument("--rows", type=int, default=ROWS, help="CRM rows to push")
    push(parser.parse_args().rows)


def push(row_count: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with (
        tempfile.TemporaryDirectory(prefix="zdsync-bench-") as tmp,
        sandbox("--job-latency", str(JOB_LATENCY), "--users", "1000") as url,
    ):
        os.environ.update(
            ZENDESK_BASE_URL=url, ZENDESK_EMAIL=ADMIN_EMAIL, ZENDESK_API_TOKEN=API_TOKEN
        )
        settings = Settings.load()
        rows = crm_rows(row_count)
        source = write_csv(Path(tmp) / "crm.csv", rows)
        options = PushOptions(input=source, db=Path(tmp) / "sync.duckdb")
        started = time.perf_counter()
        first = push_users(settings, options)
        elapsed = time.perf_counter() - started
        totals = first.totals
        ceiling = JOB_CAP * 100 / JOB_LATENCY * 60
        rate = totals.created / elapsed * 60
        # Every request is a bulk POST (refused ones included), a poll, or the user_fields read.
        polls = totals.requests - totals.post_requests - 1
        log.info(
            "push of %d rows: %d created in %.1fs = %.0f users/min, %.0f%% of the ceiling %.0f "
            "(30 jobs x 100 users / %.0fs latency)",
            row_count,
            totals.created,
            elapsed,
            rate,
            100 * rate / ceiling,
            ceiling,
            JOB_LATENCY,
        )
        # Jobs finish a latency after they start, so 100 jobs through 29 slots take at least
        # ceil(100 / 29) latencies however fast the client is.
        waves = math.ceil(math.ceil(row_count / 100) / (JOB_CAP - 1))
        floor = waves * JOB_LATENCY
        log.info(
            "%d jobs through %d slots need at least %d latencies (%.1fs): %.0f%% of that floor",
            math.ceil(row_count / 100),
            JOB_CAP - 1,
            waves,
            floor,
            100 * floor / elapsed,
        )
        log.info(
            "jobs %d (ceil(rows / 100) = %d) from %d POST requests, TooManyJobs %d, 429s %d, "
            "5xx %d, %d show_many polls in %.1fs = %.2f a second",
            totals.jobs,
            math.ceil(row_count / 100),
            totals.post_requests,
            totals.too_many_jobs,
            totals.rate_limited,
            totals.server_errors,
            polls,
            elapsed,
            polls / elapsed,
        )
        for index in range(0, row_count, 100):
            rows[index]["name"] += " (changed)"
        write_csv(source, rows)
        second = push_users(settings, options).totals
        log.info(
            "second push, 1%% changed: %d updated, %d unchanged, %d POST requests",
            second.updated,
            second.unchanged,
            second.post_requests,
        )


if __name__ == "__main__":
    main()
