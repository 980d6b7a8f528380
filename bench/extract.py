"""The extract benchmark: throughput, memory and rate-limit efficiency against the sandbox.

Run with ``make bench``. The sandbox runs in its own process (as it would be a remote Zendesk),
and each measured extract runs in a fresh process so its peak memory is its own.

Figures printed:

* tickets per second end to end (HTTP page to committed DuckDB row), rate limits off, and the
  same for dlt's default settings (dicts, nested child tables, insert_values) as the baseline;
* peak resident memory for 100,000 tickets and for the whole dataset;
* with the sandbox's limits on (time-scaled), records per window against the theoretical maximum
  (export requests allowed per window x 1,000), and the 429s received.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from zdsync.sandbox.config import ADMIN_EMAIL, API_TOKEN

log = logging.getLogger("bench")
BIN = Path(sys.executable).parent
DATASET = ["--organizations", "10000", "--deleted-users", "5000"]
MEMORY_SIZES = (20_000, 100_000, 200_000, 400_000)
TIME_SCALE = 10  # limits' one-minute windows last 6 s
BASELINE_PAGES = 20


@contextmanager
def sandbox(*extra: str, tickets: int = 100_000) -> Iterator[str]:
    """A sandbox process; yields its base URL once it listens."""
    size = [*DATASET, "--tickets", str(tickets)]
    size += [] if "--users" in extra else ["--users", "50000"]
    process = subprocess.Popen(  # noqa: S603
        [str(BIN / "zdsync"), "sandbox", "--port", "0", *size, *extra],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            found = re.search(r"listening on (\S+)", line)
            if found:
                url = found[1]
                # Step past the export horizon so the whole dataset is visible.
                httpx.post(f"{url}/_sandbox/advance_clock", json={"seconds": 120})
                yield url
                return
        raise RuntimeError("the sandbox did not start")
    finally:
        process.terminate()
        process.wait()


def measure(url: str, db: Path, *args: str, **env: str) -> dict[str, Any]:
    environment = {
        **os.environ,
        "ZENDESK_BASE_URL": url,
        "ZENDESK_EMAIL": ADMIN_EMAIL,
        "ZENDESK_API_TOKEN": API_TOKEN,
        **env,
    }
    done = subprocess.run(  # noqa: S603
        [str(BIN / "python"), "-m", "bench.extract_child", "--db", str(db), *args],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def unlimited(work: Path) -> None:
    with sandbox("--rate-limits", "off") as url:
        off = {"ZENDESK_RATE_LIMITS": "off"}
        tickets = measure(url, work / "tickets.duckdb", "--resources", "tickets", **off)
        rate = tickets["records"] / tickets["seconds"]
        log.info(
            "rate limits off, tickets only: %d tickets in %.2fs = %.0f tickets/s, peak %.0f MB",
            tickets["records"],
            tickets["seconds"],
            rate,
            tickets["peak_rss_mb"],
        )
        everything = measure(
            url,
            work / "all.duckdb",
            "--resources",
            "users,tickets,organizations,deleted_users,compliance_deletion_statuses",
            **off,
        )
        log.info(
            "rate limits off, all resources: %d records in %.2fs, %d requests, peak %.0f MB "
            "(%.0f MB of it held before the first request)",
            everything["records"],
            everything["seconds"],
            everything["requests"],
            everything["peak_rss_mb"],
            everything["imports_rss_mb"],
        )
        base = measure(
            url,
            work / "baseline.duckdb",
            "--mode",
            "baseline",
            "--baseline-pages",
            str(BASELINE_PAGES),
            **off,
        )
        base_rate = base["records"] / base["seconds"]
        log.info(
            "dlt defaults (baseline), %d tickets: %.0f tickets/s, peak %.0f MB; zdsync is %.1fx",
            base["records"],
            base_rate,
            base["peak_rss_mb"],
            rate / base_rate,
        )


def memory(work: Path) -> None:
    """Peak memory against the number of tickets: bounded by the batch, not the backfill."""
    for tickets in MEMORY_SIZES:
        with sandbox("--rate-limits", "off", tickets=tickets) as url:
            result = measure(
                url,
                work / f"memory-{tickets}.duckdb",
                "--resources",
                "tickets",
                ZENDESK_RATE_LIMITS="off",
            )
        log.info(
            "memory: %d tickets, peak %.0f MB (%.0f tickets/s)",
            tickets,
            result["peak_rss_mb"],
            result["records"] / result["seconds"],
        )


def limited(work: Path) -> None:
    window = 60.0 / TIME_SCALE
    with sandbox("--rate-limits", "realistic", "--time-scale", str(TIME_SCALE)) as url:
        result = measure(
            url,
            work / "limited.duckdb",
            "--resources",
            "users,tickets,organizations",
            ZENDESK_RATE_WINDOW_SECONDS=str(window),
        )
    per = result["per_resource"]
    # Tickets and organizations share the incremental budget (10 a window); the users cursor
    # export has its own (20 a window).
    classes = {
        "incremental": (("tickets", "organizations"), 10),
        "users cursor": (("users",), 20),
    }
    for name, (members, allowed) in classes.items():
        records = sum(per[m]["records"] for m in members)
        requests = sum(per[m]["requests"] for m in members)
        # Streams of one class share its budget, so the class is done when its last is.
        seconds = max(per[m]["fetch_seconds"] for m in members)
        # Under L requests per sliding window W, request k (from 0) cannot start before
        # floor(k / L) * W: that is the quickest N requests can be made.
        best = (requests - 1) // allowed * window
        per_window = records / (seconds / window)
        log.info(
            "rate limits on (%s, %d requests per %.0fs window): %d records in %d requests, "
            "fetched in %.1fs (best possible %.1fs, %.0f%%): %.0f records per window against "
            "a ceiling of %d (%.0f%%)",
            name,
            allowed,
            window,
            records,
            requests,
            seconds,
            best,
            100 * best / seconds,
            per_window,
            allowed * 1000,
            100 * per_window / (allowed * 1000),
        )
    log.info("429s received with limits on: %d", result["rate_limited"])


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="zdsync-bench-") as tmp:
        started = time.perf_counter()
        unlimited(Path(tmp))
        memory(Path(tmp))
        limited(Path(tmp))
        log.info("benchmark finished in %.0fs", time.perf_counter() - started)


if __name__ == "__main__":
    main()
