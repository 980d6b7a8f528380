"""A ``zdsync extract`` run killed part way through a backfill, as a crash would end it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from zdsync.sandbox import Sandbox


def kill_extract_midway(
    sandbox: Sandbox,
    db: Path,
    resources: Sequence[str],
    *,
    batch_records: int,
    pages_per_second: int,
    pages: Callable[[], int],
    kill_at: int,
) -> int:
    """Run ``zdsync extract`` on ``resources`` and SIGKILL it once ``pages()`` reaches
    ``kill_at``; what ``pages()`` counts after the kill.

    The export budget is cut to ``pages_per_second`` so that the backfill is still running
    when the kill lands; the caller checks it had not finished.
    """
    command = [
        str(Path(sys.executable).parent / "zdsync"),
        "extract",
        "--db",
        str(db),
        "--resources",
        ",".join(resources),
        "--batch-records",
        str(batch_records),
    ]
    env = {
        **os.environ,
        "ZENDESK_BASE_URL": sandbox.base_url,
        "ZENDESK_EMAIL": sandbox.admin_email,
        "ZENDESK_API_TOKEN": sandbox.api_token,
        "ZENDESK_RATE_WINDOW_SECONDS": "1",
        "ZENDESK_INCREMENTAL_RATE_LIMIT": str(pages_per_second),
    }
    process = subprocess.Popen(  # noqa: S603
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while pages() < kill_at and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    return pages()
