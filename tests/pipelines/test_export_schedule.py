"""Every incremental export shares one budget: a backfill of all of them keeps it busy, never
overdraws it, and a run with nothing new costs one request per export.

Read from the sandbox's request log with its limits enforced and its windows shortened: the
requests each export made, when the server saw them, and the 429s it answered.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from pipelines.zendesk import ExtractOptions, run_extract
from pipelines.zendesk.streams import EXPORT_NAMES, STREAMS
from tests.conftest import settings_for
from zdsync.sandbox import Sandbox, SandboxConfig

INCREMENTAL = "/api/v2/incremental/"
# Four requests a four-second window: the dozen export pages below need four windows.
SCHEDULED = SandboxConfig(
    rate_limits="realistic",
    time_scale=15,
    incremental_rpm=4,
    tickets=600,
    users=300,
    organizations=30,
    deleted_users=10,
)


def export_requests(sandbox: Sandbox, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in sandbox.app.request_log()[since:] if e["path"].startswith(INCREMENTAL)]


def stream_of(path: str) -> str:
    (name,) = [name for name in EXPORT_NAMES if STREAMS[name].path == path.removesuffix(".json")]
    return name


@pytest.mark.parametrize("sandbox", [SCHEDULED], indirect=True)
def test_a_backfill_of_every_export_keeps_the_shared_budget_busy(
    sandbox: Sandbox, db: Path
) -> None:
    sandbox.store.advance_clock(120)
    settings = settings_for(sandbox)

    summary = run_extract(settings, ExtractOptions(db_path=db, resources=EXPORT_NAMES))

    requests = export_requests(sandbox)
    assert summary.rate_limited == 0
    assert [e for e in sandbox.app.request_log() if e["status"] == 429] == []
    by_stream = {stream_of(e["path"]) for e in requests}
    assert by_stream == set(EXPORT_NAMES)
    allowed, window = SCHEDULED.incremental_rpm, SCHEDULED.window_seconds
    pages = len(requests)
    assert pages > 2 * allowed, "too few pages to fill the budget more than once"
    # The server allows ``allowed`` requests in any window, so the pages need at least this
    # many windows after the first; a schedule that left the budget idle while some export had
    # pages left (waiting on a load, or on one export's own pace) would take a window more.
    needed = math.ceil(pages / allowed) - 1
    times = sorted(e["at"] for e in requests)
    took = times[-1] - times[0]
    assert took < (needed + 1) * window

    # A new run's client knows nothing of the last run's requests: start it once they have left
    # the server's window (its clock, not the wall's), as a scheduled run would.
    sandbox.store.advance_clock(window)
    before = len(sandbox.app.request_log())
    again = run_extract(settings, ExtractOptions(db_path=db, resources=EXPORT_NAMES))

    repeated = export_requests(sandbox, before)
    assert sorted(stream_of(e["path"]) for e in repeated) == sorted(EXPORT_NAMES)
    assert again.rate_limited == 0
