"""The process-wide settings an extract needs, made in one call: ``prepare``.

Importing zdsync changes nothing global. The entry points (the CLI, the flows, the demo, the
benchmark) call ``prepare`` first thing, before any thread of theirs starts: malloc's arena
limit binds only arenas made after it. ``run_extract`` calls it again, so a program that runs
extracts itself gets the same settings; each setting is the same however often it is made.
"""

from __future__ import annotations

import ctypes
import logging
import sys

import dlt

log = logging.getLogger(__name__)
_M_ARENA_MAX = -8  # glibc's mallopt parameter number


def prepare(*, arrow: bool = False) -> None:
    """Set up the process for extracts; each setting is the same however often it is made.

    Args:
        arrow: Pages will travel as Arrow tables (destinations other than DuckDB).
    """
    keep_memory_flat()
    quiet_arrow_hints()
    configure_dlt()
    if arrow:
        release_arrow_memory()


def keep_memory_flat() -> None:
    """Hand freed memory back to the system between batches.

    glibc's per-thread arenas keep freed pages for reuse; over a long backfill with several
    threads that reads as growth. Two arenas cost nothing measurable in throughput here. It
    applies to arenas made after it, so it comes before any extract thread starts.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 2)
        except (OSError, AttributeError):
            log.debug("could not limit malloc arenas")


def configure_dlt() -> None:
    """dlt settings every zdsync pipeline runs with."""
    # The merge staging tables hold the last batch's rows, personal data included: empty them
    # after each load. Finished load packages are deleted for the same reason.
    dlt.config["load.truncate_staging_dataset"] = True
    dlt.config["load.delete_completed_jobs"] = True
    # One load job at a time: parallel jobs would each hold a table's batch in memory, and the
    # single DuckDB writer serialises them anyway.
    dlt.config["load.workers"] = 1


class QuietArrowHints(logging.Filter):
    """Drop dlt's notice that JSON columns arrive as Arrow strings: the hint is deliberate."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema" not in record.getMessage()


def quiet_arrow_hints() -> None:
    dlt_log = logging.getLogger("dlt")
    if not any(isinstance(f, QuietArrowHints) for f in dlt_log.filters):
        dlt_log.addFilter(QuietArrowHints())


def release_arrow_memory() -> None:
    """Arrow's own pool keeps freed pages for reuse; over a long backfill that reads as growth."""
    # Imported here: Arrow's libraries cost about 70 MB that the DuckDB path never needs.
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
