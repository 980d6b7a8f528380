"""The report's charts, one row each in ``CHARTS``: the SQL it reads, how it draws, what it says.

Every chart's data is one DuckDB query on the models, returned as a DataFrame; the figure and
its one-line reading are computed from that frame, with pandas, never row by row. A chart whose
models are missing is left out, with a note saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from zdsync.report import readings

Draw = Callable[[pd.DataFrame], go.Figure]


@dataclass(frozen=True)
class Chart:
    """One chart of the report.

    Attributes:
        key: Its id in the page, stable for links and tests.
        title: Shown above it.
        sql: The DuckDB query on the models whose frame it draws.
        needs: The models (``analytics.<name>``) the query reads.
        draw: The figure, from the frame.
        read: The one-line reading of what the frame shows.
    """

    key: str
    title: str
    sql: str
    needs: tuple[str, ...]
    draw: Draw
    read: Callable[[pd.DataFrame], str]


def layout(figure: go.Figure, x: str, y: str) -> go.Figure:
    figure.update_layout(
        xaxis_title=x,
        yaxis_title=y,
        template="plotly_white",
        height=380,
        margin={"l": 60, "r": 20, "t": 20, "b": 50},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def _backlog(df: pd.DataFrame) -> go.Figure:
    wide = df.pivot_table(index="day", columns="status", values="open_tickets", fill_value=0)
    figure = go.Figure(
        [
            go.Scatter(x=wide.index, y=wide[status], name=status, stackgroup="backlog")
            for status in wide.columns
        ]
    )
    return layout(figure, "day (UTC)", "open tickets")


def _volume(df: pd.DataFrame) -> go.Figure:
    wide = df.pivot_table(index="week", columns="channel", values="tickets", fill_value=0)
    figure = go.Figure([go.Bar(x=wide.index, y=wide[channel], name=channel) for channel in wide])
    figure.update_layout(barmode="stack")
    return layout(figure, "week (UTC, from Monday)", "tickets created")


def _gdpr(df: pd.DataFrame) -> go.Figure:
    figure = go.Figure(go.Bar(x=df["deletion_state"], y=df["users"], name="deleted users"))
    return layout(figure, "GDPR deletion", "deleted users")


# What the sync-health chart shows per run, each in its own panel: column, then label.
HEALTH_MEASURES = (
    ("rows", "rows"),
    ("requests", "requests"),
    ("rate_limited", "429s"),
    ("seconds", "seconds"),
    ("failed_rows", "failed rows"),
)


def _health(df: pd.DataFrame) -> go.Figure:
    from plotly.subplots import make_subplots

    figure = make_subplots(
        rows=len(HEALTH_MEASURES), cols=1, shared_xaxes=True, vertical_spacing=0.03
    )
    colours = df["kind"].map({"extract": "#4c78a8", "push": "#f58518"})
    for row, (column, label) in enumerate(HEALTH_MEASURES, start=1):
        figure.add_trace(
            go.Bar(x=df["run"], y=df[column], name=label, marker_color=colours, showlegend=False),
            row=row,
            col=1,
        )
        figure.update_yaxes(title_text=label, rangemode="tozero", row=row, col=1)
    figure.update_xaxes(title_text="run (kind, start in UTC)", row=len(HEALTH_MEASURES), col=1)
    figure.update_layout(
        template="plotly_white", height=640, margin={"l": 70, "r": 20, "t": 20, "b": 90}
    )
    return figure


CHARTS: tuple[Chart, ...] = (
    Chart(
        key="backlog",
        title="Open backlog over time, by status",
        sql="SELECT day, status, sum(open_tickets) AS open_tickets "
        "FROM analytics.ticket_backlog_daily GROUP BY day, status ORDER BY day, status",
        needs=("ticket_backlog_daily",),
        draw=_backlog,
        read=readings.backlog,
    ),
    Chart(
        key="volume",
        title="Tickets created per week, by channel",
        sql="SELECT week, channel, tickets FROM analytics.ticket_volume_by_channel "
        "ORDER BY week, channel",
        needs=("ticket_volume_by_channel",),
        draw=_volume,
        read=readings.volume,
    ),
    Chart(
        key="gdpr",
        title="GDPR deletion progress",
        sql="SELECT deletion_state, count(*) AS users FROM analytics.gdpr_deletion_progress "
        "GROUP BY deletion_state ORDER BY users DESC, deletion_state",
        needs=("gdpr_deletion_progress",),
        draw=_gdpr,
        read=readings.gdpr,
    ),
    Chart(
        key="sync-health",
        title="Sync health: each extract and push run",
        sql="SELECT kind, run_id, started_at, rows, requests, rate_limited, seconds, "
        "failed_rows, kind || ' ' || strftime(timezone('UTC', started_at), '%Y-%m-%d %H:%M:%S') "
        "AS run FROM analytics.sync_run_health ORDER BY started_at",
        needs=("sync_run_health",),
        draw=_health,
        read=readings.health,
    ),
)
