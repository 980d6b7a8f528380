"""The report as one HTML file: plotly.js inlined, each chart's figure, title and reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

# The page's own look; everything else is plotly's.
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
header p, .reading, .notes { color: #555; }
section.chart { margin: 2.5rem 0; }
section.chart h2 { margin-bottom: 0.2rem; }
.reading { margin-top: 0; }
"""
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Drawn:
    """A chart ready for the page."""

    key: str
    title: str
    reading: str
    figure: go.Figure


def html(subject: str, written: datetime, drawn: list[Drawn], notes: list[str]) -> str:
    """The whole page: ``subject`` names the database, ``written`` when the report was made."""
    sections = "\n".join(_section(chart) for chart in drawn)
    missing = "".join(f"<li>{escape(note)}</li>" for note in notes)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>zdsync report: {escape(subject)}</title>
<style>{STYLE}</style>
<script>{get_plotlyjs()}</script>
</head>
<body>
<header>
<h1>zdsync report</h1>
<p>{escape(subject)}, written {written:%Y-%m-%d %H:%M} UTC</p>
</header>
{sections}
{f'<section class="notes"><h2>Not shown</h2><ul>{missing}</ul></section>' if notes else ""}
</body>
</html>
"""


def _section(chart: Drawn) -> str:
    plot = chart.figure.to_html(
        full_html=False, include_plotlyjs=False, div_id=f"plot-{chart.key}", config=PLOT_CONFIG
    )
    return (
        f'<section class="chart" id="{chart.key}" data-chart="{chart.key}">\n'
        f"<h2>{escape(chart.title)}</h2>\n"
        f'<p class="reading">{escape(chart.reading)}</p>\n{plot}\n</section>'
    )
