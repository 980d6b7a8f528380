"""Where each stream resumes, kept in dlt's resource state and saved with the data it covers.

dlt commits a resource's state in the same load package as the rows extracted with it, so a
cursor can never run ahead of the data: a run that dies before its package is loaded leaves the
old cursor in place, and the next run fetches those pages again.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from pipelines.zendesk.streams import Stream, epoch_of
from zdsync.client import (
    CursorList,
    IncrementalCursorExport,
    Paginator,
    TimeBasedExport,
)

STATE_VERSION = 1


class StateVersionError(RuntimeError):
    """Saved state written by a zdsync that stored it differently."""


def check_version(state: MutableMapping[str, Any], stream: str) -> None:
    version = state.setdefault("version", STATE_VERSION)
    if version != STATE_VERSION:
        raise StateVersionError(
            f"saved state for {stream} has version {version}, this zdsync reads "
            f"{STATE_VERSION}: run again with --full-refresh"
        )


def paginator_for(stream: Stream, state: MutableMapping[str, Any], start_time: int) -> Paginator:
    """The paginator that continues ``stream`` from its saved position."""
    check_version(state, stream.name)
    if stream.style == "cursor_export":
        return IncrementalCursorExport(
            stream.path,
            stream.key,
            start_time=start_time,
            cursor=state.get("cursor"),
            per_page=stream.page_size,
            params=stream.params,
        )
    if stream.style == "time_export":
        return TimeBasedExport(
            stream.path,
            stream.key,
            start_time=int(state.get("start_time", start_time)),
            timestamp_of=lambda record: epoch_of(record["updated_at"]),
            per_page=stream.page_size,
            params=stream.params,
        )
    return CursorList(stream.path, stream.key, page_size=stream.page_size, params=stream.params)


def save_position(stream: Stream, state: MutableMapping[str, Any], position: Any) -> None:
    """Record where the next run starts, once the page's rows have been handed to dlt."""
    if stream.style == "cursor_export" and position:
        state["cursor"] = position
    elif stream.style == "time_export":
        state["start_time"] = int(position)
