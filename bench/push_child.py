"""One measured push in its own process; prints one JSON line with what it took.

Run as a script, ``python bench/push_child.py --object users --start 0 ...``, from the tree
whose code is measured (its directory first on ``PYTHONPATH``): it imports nothing from
``bench``, so the same file measures another revision's engine. ``OBJECTS`` names the objects
it pushes; the base URL and credentials come from the environment.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.reverse_etl.conftest import crm_rows, write_csv
from zdsync.client import Settings
from zdsync.reverse_etl.push import PushOptions, PushSummary, push_users

# Measured figures, by name; "again" says what a second push with 1% of rows changed sent.
Measured = dict[str, Any]


def pushed(settings: Settings, name: str, options: PushOptions) -> PushSummary:
    # Revisions from before the engine took an object push users only, through push_users.
    if name == "users":
        return push_users(settings, options)
    from zdsync.reverse_etl.push import push

    return push(settings, name, options)


def rows_of(name: str) -> tuple[Callable[..., list[dict[str, Any]]], str]:
    """How to make ``name``'s CRM rows, and the column its second push changes."""
    if name == "users":
        return crm_rows, "name"
    from tests.reverse_etl.conftest import BENCH_ROWS

    return BENCH_ROWS[name]


def measure(
    settings: Settings, name: str, work: Path, start: int, count: int, again: bool
) -> Measured:
    """``count`` new CRM rows of ``name`` pushed; with ``again``, 1% of them once more."""
    make, changed = rows_of(name)
    rows = make(count, start=start)
    source = write_csv(work / "crm.csv", rows)
    options = PushOptions(input=source, db=work / "sync.duckdb")
    started = time.perf_counter()
    totals = pushed(settings, name, options).totals
    seconds = time.perf_counter() - started
    measured: Measured = {
        "seconds": seconds,
        "written": totals.created + totals.updated,
        "failed": totals.failed,
        "jobs": totals.jobs,
        "posts": totals.post_requests,
        "too_many_jobs": totals.too_many_jobs,
        "rate_limited": totals.rate_limited,
        # The first push's requests lead the sandbox's log: the bench reads its polls there.
        "requests": totals.requests,
    }
    if again:
        for index in range(0, count, 100):
            rows[index][changed] += " (changed)"
        write_csv(source, rows)
        second = pushed(settings, name, options).totals
        measured["again"] = {
            "updated": second.updated,
            "unchanged": second.unchanged,
            "posts": second.post_requests,
        }
    return measured


OBJECTS = ("users", "organizations")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--object", choices=sorted(OBJECTS), default="users")
    parser.add_argument("--start", type=int, default=0, help="first CRM row's number")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--again", action="store_true", help="push 1%% changed rows again")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zdsync-bench-push-") as tmp:
        measured = measure(
            Settings.load(), args.object, Path(tmp), args.start, args.rows, args.again
        )
    print(json.dumps(measured))


if __name__ == "__main__":
    main()
