"""One measured push in its own process; prints one JSON line with what it took.

Run as a script, ``python bench/push_child.py --object users --start 0 ...``, from the tree
whose code is measured (its directory first on ``PYTHONPATH``): it imports nothing from
``bench``, so the same file measures another revision's engine. ``OBJECTS`` says how each kind
of object is pushed; the base URL and credentials come from the environment.
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
from zdsync.reverse_etl.push import PushOptions, push_users

# Measured figures, by name; "again" says what a second push with 1% of rows changed sent.
Measured = dict[str, Any]


def users(settings: Settings, work: Path, start: int, count: int, again: bool) -> Measured:
    """``count`` new CRM users through ``push_users``; with ``again``, 1% of them once more."""
    rows = crm_rows(count, start=start)
    source = write_csv(work / "crm.csv", rows)
    options = PushOptions(input=source, db=work / "sync.duckdb")
    started = time.perf_counter()
    totals = push_users(settings, options).totals
    seconds = time.perf_counter() - started
    measured: Measured = {
        "seconds": seconds,
        "written": totals.created + totals.updated,
        "failed": totals.failed,
        "jobs": totals.jobs,
        "posts": totals.post_requests,
        "too_many_jobs": totals.too_many_jobs,
        "rate_limited": totals.rate_limited,
        # Every other request is a show_many poll, but for the one user_fields read.
        "polls": totals.requests - totals.post_requests - 1,
    }
    if again:
        for index in range(0, count, 100):
            rows[index]["name"] += " (changed)"
        write_csv(source, rows)
        second = push_users(settings, options).totals
        measured["again"] = {
            "updated": second.updated,
            "unchanged": second.unchanged,
            "posts": second.post_requests,
        }
    return measured


OBJECTS: dict[str, Callable[[Settings, Path, int, int, bool], Measured]] = {"users": users}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--object", choices=sorted(OBJECTS), default="users")
    parser.add_argument("--start", type=int, default=0, help="first CRM row's number")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--again", action="store_true", help="push 1%% changed rows again")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zdsync-bench-push-") as tmp:
        push = OBJECTS[args.object]
        measured = push(Settings.load(), Path(tmp), args.start, args.rows, args.again)
    print(json.dumps(measured))


if __name__ == "__main__":
    main()
