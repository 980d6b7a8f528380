"""The extract benchmark: throughput, memory and rate-limit efficiency against the sandbox.

Run with ``make bench``. The sandbox runs in its own process (as it would be a remote Zendesk),
and each measured extract runs in a fresh process so its peak memory is its own.

Figures printed:

* tickets per second end to end (HTTP page to committed DuckDB row), rate limits off, and the
  same for dlt's default settings (dicts, nested child tables, insert_values) as the baseline;
* peak resident memory for 100,000 tickets and for the whole dataset, tickets only; and with
  every stream on (the activity streams too) at two volumes, one twice the other, to show the
  peak stays flat;
* with the sandbox's limits on (time-scaled), a full backfill of every resource, the activity
  streams too, in each of the sandbox's users-cursor modes (``both``: a users cursor request
  spends its own budget and the one every incremental export shares; ``own``: only its own).
  Per mode: the requests each limit carried, from the sandbox's request log, and the least time
  that many allow; each export stream's pages, and the shared budget's: its pages, the best time
  it allows, the time the backfill took from its first export request to its last, the ratio
  and the 429s; the whole backfill against the best its scarcest limit allows; and per export
  budget, records per window against its ceiling (requests allowed per window x 1,000).

``--parts`` runs some of the three (``unlimited,memory,limited``) and ``--scale 0.2`` shrinks
every dataset, for a quick look on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import httpx

from pipelines.zendesk.streams import EXPORT_NAMES, RESOURCE_NAMES, STREAMS
from zdsync.sandbox.config import ADMIN_EMAIL, API_TOKEN, SandboxConfig
from zdsync.sandbox.limits import RateLimits

log = logging.getLogger("bench")
BIN = Path(sys.executable).parent
MEMORY_SIZES = (20_000, 100_000, 200_000, 400_000)
# Every stream on: the sandbox holds about five audits and ten metric events per ticket.
ACTIVITY_SIZES = (10_000, 20_000)
TIME_SCALE = 6  # limits' one-minute windows last 10 s
BASELINE_PAGES = 20
ALL_RESOURCES = ",".join(RESOURCE_NAMES)
BUDGETS = ("both", "own")
PARTS = ("unlimited", "memory", "limited")


@dataclass(frozen=True)
class Dataset:
    """Record counts of a benchmark sandbox."""

    tickets: int = 100_000
    users: int = 50_000
    organizations: int = 10_000
    deleted_users: int = 5_000

    def with_tickets(self, tickets: int) -> Dataset:
        """This dataset's proportions, for ``tickets`` tickets."""
        return self.scaled(tickets / self.tickets)

    def scaled(self, factor: float) -> Dataset:
        return Dataset(*(max(1, round(getattr(self, f.name) * factor)) for f in fields(self)))

    def args(self) -> list[str]:
        return [
            arg
            for f in fields(self)
            for arg in (f"--{f.name.replace('_', '-')}", str(getattr(self, f.name)))
        ]


@contextmanager
def sandbox(*extra: str, dataset: Dataset = Dataset()) -> Iterator[str]:
    """A sandbox process; yields its base URL once it listens. Options in ``extra`` win over
    the dataset's sizes."""
    process = subprocess.Popen(  # noqa: S603
        [str(BIN / "zdsync"), "sandbox", "--port", "0", *dataset.args(), *extra],
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
    """One extract of this checkout's code, in a child process."""
    return measure_in(None, url, db, *args, **env)


def measure_in(cwd: Path | None, url: str, db: Path, *args: str, **env: str) -> dict[str, Any]:
    """One extract in a child process, of ``cwd``'s code when given (another revision's)."""
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
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def unlimited(work: Path, dataset: Dataset) -> None:
    with sandbox("--rate-limits", "off", dataset=dataset) as url:
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
        everything = measure(url, work / "all.duckdb", "--resources", ALL_RESOURCES, **off)
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


def memory(work: Path, dataset: Dataset) -> None:
    """Peak memory against the number of tickets: bounded by the batch, not the backfill."""
    scale = dataset.tickets / Dataset().tickets
    for tickets in (round(size * scale) for size in MEMORY_SIZES):
        with sandbox("--rate-limits", "off", dataset=replace(dataset, tickets=tickets)) as url:
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
    peaks = []
    for tickets in (round(size * scale) for size in ACTIVITY_SIZES):
        sized = dataset.with_tickets(tickets)
        with sandbox("--rate-limits", "off", dataset=sized) as url:
            result = measure(
                url,
                work / f"memory-all-{tickets}.duckdb",
                "--resources",
                ALL_RESOURCES,
                ZENDESK_RATE_LIMITS="off",
            )
        per = result["per_resource"]
        peaks.append(result["peak_rss_mb"])
        log.info(
            "memory, every stream: %d tickets, %d ticket events, %d metric events, %d records "
            "in all, peak %.0f MB (%.1fs)",
            tickets,
            per["ticket_events"]["records"],
            per["ticket_metric_events"]["records"],
            result["records"],
            result["peak_rss_mb"],
            result["seconds"],
        )
    log.info(
        "memory, every stream: twice the volume, peak %.0f MB against %.0f MB (%.2fx)",
        peaks[-1],
        peaks[0],
        peaks[-1] / peaks[0],
    )


@dataclass(frozen=True)
class Bucket:
    """One of the sandbox's limits, and the requests of a run that spent it."""

    name: str
    allowed: int
    requests: int

    def best_seconds(self, window: float) -> float:
        # Under L requests per sliding window W, request k (from 0) cannot arrive before
        # floor(k / L) * W after the first: that is the quickest N requests can be made.
        return (self.requests - 1) // self.allowed * window if self.requests else 0.0


def spent_buckets(budget: str) -> Callable[[str], list[tuple[str, int]]]:
    """Which of the sandbox's limits a request to a path spends, each with its size.

    Read from the sandbox's own limits, so the benchmark counts what the server enforced.
    """
    limits = RateLimits(SandboxConfig(users_cursor_budget=budget))  # type: ignore[arg-type]

    def spent(path: str) -> list[tuple[str, int]]:
        found = [("account", limits.account.limit)]
        if path.startswith("/api/v2/incremental/"):
            found += [
                (header.removeprefix("Zendesk-RateLimit-"), bucket.limit)
                for header, bucket in limits.export_buckets(path)
            ]
        return found

    return spent


def buckets_of(budget: str, requests: list[dict[str, Any]]) -> list[Bucket]:
    spent = spent_buckets(budget)
    counts: Counter[tuple[str, int]] = Counter()
    for request in requests:
        counts.update(spent(request["path"]))
    return [Bucket(name, allowed, n) for (name, allowed), n in counts.items()]


def limited(work: Path, dataset: Dataset) -> None:
    """A full backfill of every resource with the sandbox's limits on, in each users-cursor
    mode: its length against the least the limits allow, and the 429s it earned."""
    window = 60.0 / TIME_SCALE
    # The activity streams' pages outnumber the tickets' about sixteen to one, each spending
    # the shared budget: a twentieth of the tickets keeps the backfill to a few minutes.
    dataset = dataset.scaled(1 / 20)
    for budget in BUDGETS:
        extra = ("--rate-limits", "realistic", "--time-scale", str(TIME_SCALE))
        with sandbox(*extra, "--users-cursor-budget", budget, dataset=dataset) as url:
            result = measure(
                url,
                work / f"limited-{budget}.duckdb",
                "--resources",
                ALL_RESOURCES,
                ZENDESK_RATE_WINDOW_SECONDS=str(window),
            )
            served = httpx.get(f"{url}/_sandbox/requests", timeout=60).json()["requests"]
        api = [r for r in served if r["path"].startswith("/api/v2/")]
        buckets = buckets_of(budget, api)
        for bucket in buckets:
            log.info(
                "rate limits on, users cursor budget %s: %s (%d a %.0fs window) carried %d "
                "requests, at best %.1fs",
                budget,
                bucket.name,
                bucket.allowed,
                window,
                bucket.requests,
                bucket.best_seconds(window),
            )
        shared_budget(budget, window, api, buckets)
        export_pace(budget, window, result["per_resource"], buckets)
        best = max(bucket.best_seconds(window) for bucket in buckets)
        achieved = max(r["at"] for r in api) - min(r["at"] for r in api)
        log.info(
            "rate limits on, users cursor budget %s: full backfill of all resources, %d records "
            "in %d requests over %.1fs, best possible %.1fs (%.0f%%), %d 429s (%d seen by the "
            "client), whole run %.1fs",
            budget,
            result["records"],
            len(api),
            achieved,
            best,
            100 * best / achieved,
            sum(1 for r in api if r["status"] == 429),
            result["rate_limited"],
            result["seconds"],
        )


def shared_budget(
    budget: str, window: float, api: list[dict[str, Any]], buckets: list[Bucket]
) -> None:
    """Each export stream's pages, and how close the backfill came to the shared budget's
    best: its pages, the least time they allow, the time from the first export request to the
    last, and the 429s."""
    exports = [r for r in api if r["path"].startswith("/api/v2/incremental/")]
    paths = {STREAMS[name].path: name for name in EXPORT_NAMES}
    pages = Counter(paths.get(r["path"].removesuffix(".json"), r["path"]) for r in exports)
    log.info(
        "rate limits on, users cursor budget %s: export pages %s",
        budget,
        ", ".join(f"{name} {count}" for name, count in pages.items()),
    )
    (shared,) = [bucket for bucket in buckets if bucket.name == "incremental-exports"]
    best = shared.best_seconds(window)
    achieved = max(r["at"] for r in exports) - min(r["at"] for r in exports)
    log.info(
        "rate limits on, users cursor budget %s: shared export budget (%d a %.0fs window): %d "
        "pages, best possible %.1fs, achieved %.1fs (%.0f%%), %d 429s",
        budget,
        shared.allowed,
        window,
        shared.requests,
        best,
        achieved,
        100 * best / achieved if achieved else 100.0,
        sum(1 for r in exports if r["status"] == 429),
    )


def export_pace(budget: str, window: float, per: dict[str, Any], buckets: list[Bucket]) -> None:
    """Per export budget: records per window against its ceiling (requests allowed x 1,000).

    Each export stream is counted under the budget that paces it: of the export budgets it
    spends, the one its run's requests take longest to get through.
    """
    spent = spent_buckets(budget)
    slowest = {bucket.name: bucket.best_seconds(window) for bucket in buckets}
    paced_by: dict[str, list[str]] = {}
    for name in EXPORT_NAMES:
        exports = [b for b, _ in spent(STREAMS[name].path) if b != "account"]
        paced_by.setdefault(max(exports, key=lambda b: slowest.get(b, 0.0)), []).append(name)
    allowed = {bucket.name: bucket.allowed for bucket in buckets}
    for bucket_name, members in paced_by.items():
        records = sum(per[m]["records"] for m in members)
        requests = sum(per[m]["requests"] for m in members)
        # Streams of one budget share it, so the budget is done when its last stream is.
        seconds = max(per[m]["fetch_seconds"] for m in members)
        best = Bucket(bucket_name, allowed[bucket_name], requests).best_seconds(window)
        per_window = records / (seconds / window)
        log.info(
            "rate limits on, users cursor budget %s, %s (%s): %d records in %d requests, "
            "fetched in %.1fs (best possible %.1fs, %.0f%%): %.0f records per window against "
            "a ceiling of %d (%.0f%%)",
            budget,
            bucket_name,
            ", ".join(members),
            records,
            requests,
            seconds,
            best,
            100 * best / seconds,
            per_window,
            allowed[bucket_name] * 1000,
            100 * per_window / (allowed[bucket_name] * 1000),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every dataset size (0.2: a fifth)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    dataset = Dataset().scaled(args.scale)
    parts = {"unlimited": unlimited, "memory": memory, "limited": limited}
    chosen = [part.strip() for part in args.parts.split(",") if part.strip()]
    unknown = set(chosen) - set(parts)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="zdsync-bench-") as tmp:
        started = time.perf_counter()
        for name in chosen:
            parts[name](Path(tmp), dataset)
        log.info("benchmark finished in %.0fs", time.perf_counter() - started)


if __name__ == "__main__":
    main()
