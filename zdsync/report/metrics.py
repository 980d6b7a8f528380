"""The first-reply and resolution time distributions, from ``analytics.ticket_metrics``.

The model exists once ticket activity is loaded; until then the report says so instead of
drawing an empty chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import pandas as pd
import plotly.graph_objects as go

from zdsync.report import readings
from zdsync.report.charts import Chart, layout

MODEL = "ticket_metrics"
# Bars in a distribution, about; the width is rounded to a readable number of hours.
BINS = 30


@dataclass(frozen=True)
class Distribution:
    key: str
    title: str
    what: str
    # The model's column, in calendar minutes.
    column: str


DISTRIBUTIONS = (
    Distribution(
        "first-reply",
        "First reply time",
        "first reply",
        "reply_time_in_minutes_calendar",
    ),
    Distribution(
        "resolution",
        "Full resolution time",
        "full resolution",
        "full_resolution_time_in_minutes_calendar",
    ),
)


def distribution_charts(present: set[str]) -> tuple[list[Chart], list[str]]:
    """The distributions ``present`` (the model's columns) allows, and a note for each other."""
    charts, notes = [], []
    for distribution in DISTRIBUTIONS:
        if distribution.column not in present:
            notes.append(
                f"{distribution.title}: not shown, analytics.{MODEL} has no "
                f"{distribution.column} column"
                if present
                else f"{distribution.title}: not shown, there is no analytics.{MODEL} model"
            )
            continue
        charts.append(_chart(distribution, distribution.column))
    return charts, notes


def _chart(distribution: Distribution, column: str) -> Chart:
    return Chart(
        key=distribution.key,
        title=f"{distribution.title} distribution",
        sql=f'SELECT "{column}" / 60.0 AS hours FROM analytics.{MODEL} '  # noqa: S608
        f'WHERE "{column}" IS NOT NULL ORDER BY hours',
        needs=(MODEL,),
        draw=partial(_histogram, distribution),
        read=partial(readings.distribution, distribution.what),
    )


def bin_width(hours: pd.Series) -> float:
    """A width of 1, 2 or 5 times a power of ten giving about ``BINS`` bars."""
    span = float(hours.max()) if len(hours) else 0.0
    if span <= 0:
        return 1.0
    rough = span / BINS
    power = 10 ** math.floor(math.log10(rough))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= rough))


def _histogram(distribution: Distribution, df: pd.DataFrame) -> go.Figure:
    width = bin_width(df["hours"])
    figure = go.Figure(
        go.Histogram(
            x=df["hours"],
            xbins={"start": 0, "size": width},
            name=distribution.what,
            marker_color="#54a24b",
        )
    )
    return layout(figure, f"{distribution.what} time (hours, {width:g} per bar)", "tickets")
