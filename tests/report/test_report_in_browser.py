"""The report as a reader sees it: written by ``zdsync report``, rendered in headless Chromium.

Each chart must have drawn marks, and the numbers it carries (read from Plotly's computed data
in the page) must be the models' own, queried here.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.report.browser import opened
from tests.report.conftest import Built

ZDSYNC = str(Path(sys.executable).parent / "zdsync")
CHART_KEYS = ["backlog", "volume", "first-reply", "resolution", "gdpr", "sync-health"]


def zdsync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [ZDSYNC, *args], capture_output=True, text=True, timeout=300, check=False
    )


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def write(db: Path, out: Path) -> None:
    done = zdsync("report", "--db", str(db), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"report written to {out.resolve()}"


def day(text: str) -> str:
    return datetime.fromisoformat(text).date().isoformat()


def drawn(traces: list[dict[str, Any]], x: Any = lambda v: v) -> dict[tuple[Any, str], float]:
    """What the traces show, by (x, trace name), the empty places left out."""
    return {
        (x(where), trace["name"]): size
        for trace in traces
        for where, size in zip(trace["x"], trace["sizes"] or trace["y"], strict=True)
        if size
    }


@pytest.fixture(scope="module")
def page(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("page") / "report.html"
    write(built.db, out)
    with opened(out) as seen:
        yield seen


def test_the_report_opens_offline_without_console_errors(page: Any, built: Built) -> None:
    assert page.console_errors == []
    assert {url.split(":", 1)[0] for url in page.requests} == {"file"}
    assert list(page.charts()) == CHART_KEYS
    assert page.notes() == []


def test_every_chart_has_a_title_axis_labels_a_reading_and_drawn_marks(page: Any) -> None:
    for key, chart in page.charts().items():
        assert chart["title"], key
        assert len(chart["reading"]) > 20, key
        # The lowest x axis carries the label when panels share it.
        titled = {name[0] for name, title in chart["axes"] if title}
        assert titled == {"x", "y"}, key
        for trace in chart["traces"]:
            assert trace["marks"] > 0, (key, trace["name"])
            if trace["type"] == "bar":
                assert trace["marks"] == len(trace["sizes"]), (key, trace["name"])


def test_the_backlog_shows_the_models_open_tickets_per_day_and_status(
    page: Any, built: Built
) -> None:
    model = query(
        built.db,
        "SELECT day, status, sum(open_tickets) FROM analytics.ticket_backlog_daily GROUP BY ALL",
    )
    shown = drawn(page.charts()["backlog"]["traces"], day)
    assert shown == {(d.isoformat(), status): n for d, status, n in model}
    last = max(d for d, _, _ in model)
    open_last = sum(n for d, _, n in model if d == last)
    assert (
        f"On {last.isoformat()}, {open_last:,} tickets were open"
        in (page.charts()["backlog"]["reading"])
    )


def test_ticket_volume_shows_the_models_tickets_per_week_and_channel(
    page: Any, built: Built
) -> None:
    model = query(built.db, "SELECT week, channel, tickets FROM analytics.ticket_volume_by_channel")
    chart = page.charts()["volume"]
    assert drawn(chart["traces"], day) == {(w.isoformat(), c): n for w, c, n in model}
    created = query(built.db, "SELECT count(*) FROM analytics.stg_tickets WHERE NOT is_deleted")
    assert chart["reading"].startswith(f"{created[0][0]:,} tickets over ")


@pytest.mark.parametrize(
    ("key", "column"),
    [
        ("first-reply", "reply_time_in_minutes_calendar"),
        ("resolution", "full_resolution_time_in_minutes_calendar"),
    ],
)
def test_time_distributions_count_the_models_tickets(
    page: Any, built: Built, key: str, column: str
) -> None:
    (trace,) = page.charts()[key]["traces"]
    # The column comes from the parametrisation above, not from input.
    sql = f"SELECT count({column}) FROM analytics.ticket_metrics"  # noqa: S608
    (measured,) = query(built.db, sql)[0]
    assert measured > 0
    assert sum(trace["sizes"]) == measured


def test_gdpr_progress_shows_the_models_users_per_state(page: Any, built: Built) -> None:
    model = query(built.db, "SELECT deletion_state FROM analytics.gdpr_deletion_progress")
    (trace,) = page.charts()["gdpr"]["traces"]
    assert dict(zip(trace["x"], trace["sizes"], strict=True)) == Counter(s for (s,) in model)


def test_sync_health_shows_each_run_with_the_models_figures(page: Any, built: Built) -> None:
    chart = page.charts()["sync-health"]
    runs = query(
        built.db,
        "SELECT kind, rows, requests, rate_limited, seconds, failed_rows "
        "FROM analytics.sync_run_health ORDER BY started_at",
    )
    assert [kind for kind, *_ in runs] == ["extract", "push", "extract"]
    # The push read every CRM row; one of them was invalid.
    assert runs[1][1] == built.crm_rows
    assert runs[1][5] == 1
    traces = {trace["name"]: trace for trace in chart["traces"]}
    assert list(traces) == ["rows", "requests", "429s", "seconds", "failed rows"]
    for position, name in enumerate(traces, start=1):
        assert traces[name]["sizes"] == pytest.approx([run[position] for run in runs]), name
    assert [label.split()[0] for label in traces["rows"]["x"]] == [k for k, *_ in runs]
    assert chart["reading"].startswith("2 extracts and 1 push met ")
    assert chart["reading"].endswith("; the last push had 1 failed row.")
