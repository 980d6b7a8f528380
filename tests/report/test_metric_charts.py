"""The reply and resolution time charts: drawn from the ticket_metrics columns present."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.report.browser import opened
from zdsync.report import write_report
from zdsync.report.metrics import bin_width

# Minutes to first reply, and their hours binned by hand: 0.5 hours per bar from 0 (the width
# for a 10-hour span), each bin named by its middle.
FIRST_REPLY_MINUTES = [30, 40, 90, 95, 150, 600, None]
BINNED = {0.75: 2, 1.75: 2, 2.75: 1, 10.25: 1}


def add_metrics(db: Path, **minutes: list[int | None]) -> None:
    frame = pd.DataFrame({"ticket_id": range(1, 8), **minutes})
    with duckdb.connect(str(db)) as con:
        con.register("metrics", frame)
        # In place of the model the warehouse's own activity built.
        con.execute("CREATE OR REPLACE TABLE analytics.ticket_metrics AS SELECT * FROM metrics")


def test_first_reply_times_are_binned_as_computed_by_hand(warehouse: Path, tmp_path: Path) -> None:
    add_metrics(warehouse, reply_time_in_minutes_calendar=FIRST_REPLY_MINUTES)

    out = write_report(warehouse, tmp_path / "report.html")

    with opened(out) as page:
        charts = page.charts()
        notes = page.notes()
        assert page.console_errors == []
    assert list(charts) == ["backlog", "volume", "first-reply", "gdpr", "sync-health"]
    (trace,) = charts["first-reply"]["traces"]
    assert trace["bins"] == {"start": 0, "size": 0.5}
    shown = {p: s for p, s in zip(trace["positions"], trace["sizes"], strict=True) if s}
    assert shown == pytest.approx(BINNED)
    assert trace["marks"] == len(trace["sizes"])
    assert charts["first-reply"]["reading"].startswith("Half of 6 tickets had their first reply")
    assert notes == [
        "Full resolution time: not shown, analytics.ticket_metrics has no "
        "full_resolution_time_in_minutes_calendar column"
    ]


def test_both_distributions_when_both_columns_exist(warehouse: Path, tmp_path: Path) -> None:
    add_metrics(
        warehouse,
        reply_time_in_minutes_calendar=FIRST_REPLY_MINUTES,
        full_resolution_time_in_minutes_calendar=[600, 1200, None, 3000, 60, 90, 4000],
    )

    out = write_report(warehouse, tmp_path / "report.html")

    with opened(out) as page:
        charts = page.charts()
        assert page.notes() == []
    (trace,) = charts["resolution"]["traces"]
    assert sum(trace["sizes"]) == 6
    assert trace["marks"] == len(trace["sizes"])


@pytest.mark.parametrize(
    ("hours", "width"), [([10.0], 0.5), ([1.0, 45.0], 2.0), ([300.0], 10.0), ([], 1.0)]
)
def test_bin_widths_are_round_numbers_giving_about_thirty_bars(
    hours: list[float], width: float
) -> None:
    assert bin_width(pd.Series(hours, dtype=float)) == width
