"""The README's table of streams says what the stream table declares."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.zendesk.derived import Derived
from pipelines.zendesk.exports import CursorExport, TimeExport
from pipelines.zendesk.lists import EachOf, WholeList
from pipelines.zendesk.recent import RecentList
from pipelines.zendesk.stream import Stream
from pipelines.zendesk.streams import STREAMS

README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = "| Stream | Read as | Zendesk endpoint | Merged on | A run with no change |"


def read_as(stream: Stream) -> str:
    kind = stream.fetch
    if isinstance(kind, CursorExport):
        return "cursor export"
    if isinstance(kind, TimeExport):
        return "time-based export"
    if isinstance(kind, Derived):
        return f"from the `{kind.follows}` pages"
    if isinstance(kind, EachOf):
        return f"list per `{kind.parent}` record"
    if isinstance(kind, RecentList):
        return f"list from `start_time`, {kind.lookback_days} days back"
    assert isinstance(kind, WholeList), f"no words for {type(kind).__name__}"
    return f"whole list, with `{kind.follows}`" if kind.follows else "whole list"


def no_change_cost(stream: Stream) -> str:
    kind = stream.fetch
    if isinstance(kind, CursorExport | TimeExport):
        return "1 request"
    if isinstance(kind, Derived):
        return "none"
    if isinstance(kind, RecentList):
        return "1 request per 100 rows of the look-back, rewrites them"
    if isinstance(kind, EachOf):
        each = "unsettled " if not kind.snapshot else ""
        cost = f"1 request per {each}`{kind.parent}` record"
    else:
        assert isinstance(kind, WholeList)
        cost = "1 request per 100 rows" if kind.paged else "1 request"
        if kind.follows:
            cost = f"none without news in `{kind.follows}`, else {cost}"
    return f"{cost}, writes nothing" if kind.snapshot else f"{cost}, rewrites them"


def expected_row(stream: Stream) -> list[str]:
    merged = (
        "replaced"
        if stream.disposition == "replace"
        else ", ".join(f"`{name}`" for name in stream.primary_key)
    )
    cost = no_change_cost(stream)
    return [f"`{stream.name}`", read_as(stream), f"`{stream.path}`", merged, cost]


def readme_rows() -> list[list[str]]:
    lines = README.read_text().splitlines()
    start = lines.index(HEADER) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_the_readme_lists_every_stream_as_the_table_declares_it() -> None:
    assert readme_rows() == [expected_row(stream) for stream in STREAMS.values()]
