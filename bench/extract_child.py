"""One measured extract in its own process, so its peak memory is its own.

Prints one JSON line: seconds, records, requests, 429s and peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import time
from pathlib import Path
from typing import Any

import dlt
import orjson

from pipelines.zendesk import ExtractOptions, run_extract, runtime
from pipelines.zendesk.pipeline import make_pipeline
from pipelines.zendesk.streams import TICKETS
from zdsync.client import IncrementalCursorExport, Settings, ZendeskClient


def fast(settings: Settings, db: Path, resources: tuple[str, ...], batch: int) -> dict[str, Any]:
    options = ExtractOptions(db_path=db, resources=resources, batch_records=batch)
    summary = run_extract(settings, options)
    return {
        "records": sum(r.records for r in summary.resources if r.name in resources),
        "requests": summary.requests,
        "rate_limited": summary.rate_limited,
        "per_resource": {
            r.name: {
                "records": r.records,
                "seconds": r.seconds,
                "requests": r.requests,
                "waited": r.waited_seconds,
                "fetch_seconds": r.fetch_seconds,
            }
            for r in summary.resources
        },
    }


def baseline(settings: Settings, db: Path, pages_wanted: int) -> dict[str, Any]:
    """Tickets through dlt's defaults: dicts, nested child tables, insert_values files."""
    pipeline = make_pipeline(ExtractOptions(db_path=db))
    records = 0
    with ZendeskClient(settings) as client:

        def pages() -> Any:
            nonlocal records
            paginator = IncrementalCursorExport(TICKETS.path, TICKETS.key, start_time=0)
            for number, page in enumerate(client.paginate(paginator), 1):
                records += len(page.items)
                # Round-trip through JSON so the dicts are fresh, as a parsed response is.
                yield orjson.loads(orjson.dumps(page.items))
                if number == pages_wanted:
                    return

        pipeline.run(
            dlt.resource(pages, name="tickets", primary_key="id", write_disposition="merge")()
        )
        return {"records": records, "requests": client.stats.total, "rate_limited": 0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--resources", default="tickets")
    parser.add_argument("--mode", choices=("fast", "baseline"), default="fast")
    parser.add_argument("--batch-records", type=int, default=50_000)
    parser.add_argument("--baseline-pages", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # Before any thread starts (malloc's arena limit binds only arenas made after it), and the
    # same for both modes, so that only the way records travel differs.
    runtime.prepare()
    settings = Settings.load()
    resources = tuple(args.resources.split(","))
    # What the interpreter and the libraries (dlt, DuckDB, Arrow) hold before the first request:
    # the part of the peak no batch size or setting of ours changes.
    imports_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    if args.mode == "fast":
        result = fast(settings, args.db, resources, args.batch_records)
    else:
        result = baseline(settings, args.db, args.baseline_pages)
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["imports_rss_mb"] = imports_mb
    print(json.dumps(result))


if __name__ == "__main__":
    main()
