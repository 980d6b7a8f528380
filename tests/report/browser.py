"""The report opened in a headless Chromium, the system's, driven by Playwright.

What each chart carries is read from Plotly's own structures after it has drawn: ``calcdata``
(each bar's size, each histogram bin's count) and ``_fullData`` (each trace's name and x). Run
as a module it takes the screenshot the README shows::

    python -m tests.report.browser data/demo-report.html docs/report.png
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

# Debian's chromium; Playwright's own browser download needs the internet.
CHROMIUM = "/usr/bin/chromium"
RENDERED = """() => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    return plots.length > 0 && plots.every(g => g._fullLayout && g.calcdata
        && g.querySelectorAll('.cartesianlayer .trace').length === g.calcdata.length);
}"""
# Per chart, per trace: its name, type, x values as given, what calcdata holds, and its marks.
CHARTS = r"""() => Object.fromEntries([...document.querySelectorAll('section.chart')].map(s => {
    const g = s.querySelector('.js-plotly-plot');
    const traces = g._fullData.map((t, i) => ({
        name: t.name, type: t.type,
        x: t.x ? Array.from(t.x) : [], y: t.y ? Array.from(t.y) : [],
        sizes: g.calcdata[i].map(c => c.s), positions: g.calcdata[i].map(c => c.p),
        bins: t.xbins ? {start: t.xbins.start, size: t.xbins.size} : null,
        marks: [...g.querySelectorAll('.cartesianlayer .trace')][i]
            .querySelectorAll('path[d]:not([d=""]):not([d="M0,0Z"])').length,
    }));
    return [s.dataset.chart, {
        title: s.querySelector('h2').textContent,
        reading: s.querySelector('.reading').textContent,
        axes: Object.keys(g._fullLayout).filter(k => /^[xy]axis\d*$/.test(k)).sort()
            .map(k => [k, g._fullLayout[k].title.text]),
        traces,
    }];
}))"""


@dataclass
class Opened:
    """A rendered report, and what the browser said while it loaded."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def charts(self) -> dict[str, Any]:
        found: dict[str, Any] = self.page.evaluate(CHARTS)
        return found

    def notes(self) -> list[str]:
        found: list[str] = self.page.eval_on_selector_all(
            ".notes li", "items => items.map(i => i.textContent)"
        )
        return found


@contextmanager
def opened(report: Path, width: int = 1200) -> Iterator[Opened]:
    """``report`` loaded from its file, once every chart has drawn its traces."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            seen = Opened(page)
            page.on(
                "console",
                lambda m: seen.console_errors.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda exc: seen.console_errors.append(str(exc)))
            page.on("request", lambda r: seen.requests.append(r.url))
            page.goto(report.resolve().as_uri())
            page.wait_for_function(RENDERED, timeout=60_000)
            yield seen
        finally:
            browser.close()


def screenshot(report: Path, out: Path) -> None:
    """The whole rendered page as a PNG."""
    with opened(report) as seen:
        seen.page.screenshot(path=str(out), full_page=True)


if __name__ == "__main__":
    screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
