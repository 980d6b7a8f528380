"""``zdsync report``: one self-contained HTML file of charts drawn from the SQL models.

Each chart (``zdsync.report.charts``) is a DuckDB query on the models, read as a DataFrame,
drawn with Plotly, and read aloud in one line. plotly.js is inlined, so the file opens anywhere
without a network; charts whose models are missing are left out with a note.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from zdsync.errors import FixAndRunAgainError, first_line
from zdsync.frames import MODELS_SCHEMA, columns, read, tables
from zdsync.report.charts import CHARTS, Chart
from zdsync.report.metrics import MODEL as METRICS_MODEL
from zdsync.report.metrics import distribution_charts
from zdsync.report.page import Drawn, html


def default_out(db: Path) -> Path:
    """Where the report of ``db`` goes unless told: beside it, ``<name>-report.html``."""
    return db.with_name(f"{db.stem}-report.html")


def write_report(db: Path, out: Path | None = None) -> Path:
    """Write the report of the DuckDB file ``db`` to ``out``; the file's absolute path.

    Raises:
        FixAndRunAgainError: No database, no models in it, or the file is held by a writer.
    """
    if not db.exists():
        raise FixAndRunAgainError(f"no database at {db}: run zdsync extract first")
    out = (out or default_out(db)).resolve()
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            drawn, notes = draw(con)
    except duckdb.IOException as exc:
        raise FixAndRunAgainError(f"cannot read {db}: {first_line(exc)}") from None
    if not drawn:
        raise FixAndRunAgainError(f"no models in {db}: run zdsync transform first")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html(str(db), datetime.now(UTC), drawn, notes), encoding="utf-8")
    return out


def charts(con: duckdb.DuckDBPyConnection) -> tuple[list[Chart], list[str]]:
    """The charts the models in ``con`` allow, in page order, and a note for each left out."""
    distributions, notes = distribution_charts(columns(con, MODELS_SCHEMA, METRICS_MODEL))
    # The time distributions belong after the ticket volume, before GDPR and sync health.
    return [*CHARTS[:2], *distributions, *CHARTS[2:]], notes


def draw(con: duckdb.DuckDBPyConnection) -> tuple[list[Drawn], list[str]]:
    """Each chart's figure and reading from its query's frame, and the notes for the others."""
    found, notes = charts(con)
    present = tables(con, MODELS_SCHEMA)
    drawn = []
    for chart in found:
        missing = [name for name in chart.needs if name not in present]
        if missing:
            notes.append(
                f"{chart.title}: not shown, there is no analytics.{missing[0]} model "
                "(zdsync transform writes it)"
            )
            continue
        df = read(con, chart.sql)
        drawn.append(Drawn(chart.key, chart.title, chart.read(df), chart.draw(df)))
    return drawn, notes
