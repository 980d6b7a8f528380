"""``zdsync.frames.frame``, the analyst's call, and the report's one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import held_by_another_process
from tests.report.conftest import Built
from zdsync.frames import FrameError, frame

ZDSYNC = str(Path(sys.executable).parent / "zdsync")


def test_a_model_by_name_is_the_whole_view(built: Built) -> None:
    with duckdb.connect(str(built.db), read_only=True) as con:
        rows = con.execute(
            "SELECT week, channel, tickets FROM analytics.ticket_volume_by_channel"
        ).fetchall()

    found = frame("ticket_volume_by_channel", db=built.db)

    assert isinstance(found, pd.DataFrame)
    assert list(found.columns) == ["week", "channel", "tickets"]
    assert sorted(found.itertuples(index=False, name=None)) == sorted(
        (pd.Timestamp(w), c, n) for w, c, n in rows
    )


def test_a_table_by_schema_and_any_sql(built: Built) -> None:
    tickets = frame("zendesk.tickets", db=str(built.db))
    weekly = frame(
        "SELECT channel, sum(tickets) AS tickets FROM analytics.ticket_volume_by_channel "
        "GROUP BY channel",
        db=built.db,
    )

    assert weekly["tickets"].sum() == (tickets["status"] != "deleted").sum()


def test_an_unknown_model_names_the_ones_there_are(built: Built) -> None:
    with pytest.raises(FrameError) as raised:
        frame("ticket_backlog", db=built.db)

    message = str(raised.value)
    assert message.startswith("no table or view analytics.ticket_backlog: the models are ")
    assert "ticket_backlog_daily" in message
    assert "\n" not in message


def test_failing_sql_and_a_missing_file_are_one_line(built: Built, tmp_path: Path) -> None:
    with pytest.raises(FrameError, match=r"^the query failed: .*no_such_table"):
        frame("SELECT * FROM analytics.no_such_table WHERE 1 = 1", db=built.db)
    with pytest.raises(FrameError, match=r"^no database at "):
        frame("ticket_backlog_daily", db=tmp_path / "none.duckdb")


def test_report_errors_are_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    held = tmp_path / "held.duckdb"
    cases = {
        tmp_path / "none.duckdb": f"no database at {tmp_path / 'none.duckdb'}: ",
        empty: f"no models in {empty}: run zdsync transform first",
        held: f"cannot read {held}: ",
    }
    with held_by_another_process(held):
        for db, start in cases.items():
            done = subprocess.run(  # noqa: S603
                [ZDSYNC, "report", "--db", str(db)],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 1
            (line,) = done.stderr.strip().splitlines()
            assert line.startswith(f"zdsync: error: {start}")
