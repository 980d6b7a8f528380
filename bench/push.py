"""The reverse-ETL benchmark: 10,000 CRM rows into the sandbox through bulk jobs, per object.

Run with ``make bench``. For each job latency, a sandbox runs in its own process with Zendesk's
30-job cap, and each object of ``push_child.OBJECTS`` is pushed once, in a process of its own.
Jobs finish a latency after they start and only ``cap - margin`` run at once, so N rows take at
least ``ceil(N / 100 / slots)`` latencies however fast the client is: that floor, the time the
push took (reading, planning and writing the sync log included) and their ratio are printed;
then, from the sandbox's request log, the time from the first bulk POST to the last poll (the
send loop alone, which this machine's load weighs on less) against the same floor, the polls
and the shortest gap between two; jobs and POSTs against ``ceil(N / 100)``, TooManyJobs
refusals; and what a second push with 1% of the rows changed sent. ``--rows`` and
``--latency`` change the figures measured.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.extract import BIN, sandbox
from bench.push_child import OBJECTS
from zdsync.sandbox.config import ADMIN_EMAIL, API_TOKEN

log = logging.getLogger("bench")
REPO = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).with_name("push_child.py")
ROWS = 10_000
LATENCIES = (2.0, 3.0)
JOB_CAP = 30
# The sender leaves one slot to other tools (``--job-margin``).
SLOTS = JOB_CAP - 1


def floor_seconds(rows: int, latency: float, slots: int = SLOTS) -> float:
    """The shortest a push of ``rows`` can take: one wave of ``slots`` jobs per latency."""
    return math.ceil(rows / 100 / slots) * latency


@contextmanager
def sandboxes(latencies: tuple[float, ...]) -> Iterator[dict[float, str]]:
    """One sandbox per job latency, with Zendesk's cap (the sandbox's default); their URLs."""
    with ExitStack() as stack:
        yield {
            latency: stack.enter_context(sandbox("--job-latency", str(latency), "--users", "1000"))
            for latency in latencies
        }


def measure(
    tree: Path, url: str, name: str, start: int, rows: int, again: bool = False
) -> dict[str, Any]:
    """One push of ``name`` by ``tree``'s code (this checkout's or another revision's)."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "ZENDESK_BASE_URL": url,
        "ZENDESK_EMAIL": ADMIN_EMAIL,
        "ZENDESK_API_TOKEN": API_TOKEN,
    }
    command = [str(BIN / "python"), str(CHILD), "--object", name]
    command += ["--start", str(start), "--rows", str(rows), *(["--again"] if again else [])]
    before = len(requests_of(url))
    done = subprocess.run(  # noqa: S603
        command, env=environment, cwd=tree, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    logged = [e for e in requests_of(url)[before:] if "/_sandbox/" not in e["path"]]
    result.update(send_loop(logged[: result["requests"]]))
    return result


def requests_of(url: str) -> list[dict[str, Any]]:
    """The sandbox's request log."""
    logged: list[dict[str, Any]] = httpx.get(f"{url}/_sandbox/requests").json()["requests"]
    return logged


def send_loop(logged: list[dict[str, Any]]) -> dict[str, float]:
    """From the first bulk POST of one push's requests to its last poll, and its polls."""
    posts = [e["at"] for e in logged if e["method"] == "POST"]
    polls = [e["at"] for e in logged if "job_statuses/show_many" in e["path"]]
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    return {
        "send_loop": max(polls) - min(posts),
        "polls": len(polls),
        "min_poll_gap": min(gaps, default=0.0),
    }


def report(name: str, latency: float, rows: int, measured: dict[str, Any], label: str = "") -> None:
    floor = floor_seconds(rows, latency)
    seconds = measured["seconds"]
    log.info(
        "%s%s at %gs latency: %d rows in %.2fs, floor %.1fs, %.3f of the floor; "
        "jobs %d and POSTs %d (ceil(rows / 100) = %d), TooManyJobs %d, 429s %d, "
        "%d polls = %.2f a second; send loop (first POST to last poll) %.2fs, %.3f of the "
        "floor, polls at least %.2fs apart",
        label,
        name,
        latency,
        measured["written"],
        seconds,
        floor,
        floor / seconds,
        measured["jobs"],
        measured["posts"],
        math.ceil(rows / 100),
        measured["too_many_jobs"],
        measured["rate_limited"],
        measured["polls"],
        measured["polls"] / seconds,
        measured["send_loop"],
        floor / measured["send_loop"],
        measured["min_poll_gap"],
    )
    again = measured.get("again")
    if again:
        log.info(
            "%s%s at %gs latency, second push with 1%% changed: %d updated, %d unchanged, "
            "%d POST requests",
            label,
            name,
            latency,
            again["updated"],
            again["unchanged"],
            again["posts"],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="CRM rows per push")
    parser.add_argument(
        "--latency", type=float, action="append", help=f"job latency (default {LATENCIES})"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    latencies = tuple(args.latency or LATENCIES)
    with sandboxes(latencies) as urls:
        for latency, url in urls.items():
            for number, name in enumerate(OBJECTS):
                start = number * args.rows
                report(name, latency, args.rows, measure(REPO, url, name, start, args.rows, True))


if __name__ == "__main__":
    main()
