"""Progress as a user sees it: a live table on a terminal, plain lines in a pipe.

``zdsync extract`` and ``zdsync push-users`` run as programs against a sandbox; the terminal is
a pseudo-terminal this test reads. The figures shown are checked against the sandbox's request
log and data.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reverse_etl.conftest import crm_rows, write_csv
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.faults import Fault

ZDSYNC = str(Path(sys.executable).parent / "zdsync")
TICKETS_EXPORT = "/api/v2/incremental/tickets/cursor"
CONFIG = SandboxConfig(
    rate_limits="off",
    tickets=600,
    users=200,
    organizations=10,
    deleted_users=5,
    job_latency_seconds=0.05,
)
# A redraw of rich's live display: the cursor goes back up over the table it drew.
CURSOR_UP = re.compile(r"\x1b\[\d*A")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(CONFIG).start() as running:
        running.store.advance_clock(120)
        # Two 429s (to be counted) and slow pages (so the display redraws while the run works).
        running.app.faults.queue(Fault("429", 0), path_prefix=TICKETS_EXPORT, times=2)
        running.app.faults.queue(Fault("slow", 0.5), path_prefix=TICKETS_EXPORT, times=3)
        yield running


def environment(sandbox: Sandbox) -> dict[str, str]:
    return {
        **os.environ,
        "ZENDESK_BASE_URL": sandbox.base_url,
        "ZENDESK_EMAIL": sandbox.admin_email,
        "ZENDESK_API_TOKEN": sandbox.api_token,
        "ZENDESK_RATE_LIMITS": "off",
        "TERM": "xterm",
    }


def in_terminal(args: list[str], env: dict[str, str]) -> str:
    """What a 160-column terminal shows of the program, escapes included."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    process = subprocess.Popen(  # noqa: S603
        [ZDSYNC, *args], stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the program
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=300) == 0, output.decode(errors="replace")[-3000:]
    return output.decode(errors="replace")


def in_a_pipe(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603
        [ZDSYNC, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def tickets_truth(sandbox: Sandbox) -> tuple[int, int, int]:
    """Tickets in the account, requests the sandbox saw to their export, and the 429s."""
    log = [r for r in sandbox.app.request_log() if r["path"].startswith(TICKETS_EXPORT)]
    limited = sum(1 for r in log if r["status"] == 429)
    return len(sandbox.store.snapshot()["tickets"]), len(log), limited


def test_a_terminal_shows_a_live_table_per_stream(sandbox: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"

    shown = in_terminal(
        ["extract", "--db", str(db), "--resources", "tickets"], environment(sandbox)
    )

    tickets, requests, limited = tickets_truth(sandbox)
    assert limited == 2
    assert len(CURSOR_UP.findall(shown)) >= 2, "the table was drawn once, never redrawn"
    plain = ANSI.sub("", shown)
    assert re.search(r"records\s+pages\s+requests\s+429s\s+waited", plain)
    # The last drawing of the table, when the stream was done.
    *_, last = re.findall(
        r"^ *tickets +([\d,]+) +([\d,]+) +([\d,]+) +(\d+) +[\d.]+s +done", plain, re.M
    )[-1:]
    records, pages, sent, rate_limited = (int(v.replace(",", "")) for v in last)
    assert (records, sent, rate_limited) == (tickets, requests, 2)
    assert pages == requests - limited
    assert "zdsync.progress" not in plain


def test_a_pipe_gets_one_line_messages(sandbox: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "lines.duckdb"

    done = in_a_pipe(["extract", "--db", str(db), "--resources", "tickets"], environment(sandbox))

    tickets, requests, limited = tickets_truth(sandbox)
    assert not ANSI.search(done.stderr)
    lines = [line for line in done.stderr.splitlines() if " zdsync.progress: " in line]
    assert lines, done.stderr
    assert (
        lines[-1].endswith(
            f"zdsync.progress: tickets: {tickets:,} records, {requests - limited:,} pages, "
            f"{requests:,} requests, {limited} 429s, "
        )
        is False
    )
    assert re.search(
        rf"zdsync\.progress: tickets: {tickets:,} records, {requests - limited:,} pages, "
        rf"{requests:,} requests, {limited} 429s, [\d.]+s waited, done$",
        lines[-1],
    ), lines[-1]


def test_a_push_shows_rows_and_jobs_in_both(sandbox: Sandbox, tmp_path: Path) -> None:
    rows = [*crm_rows(150), {"email": "bad@", "name": "Invalid"}]
    source = write_csv(tmp_path / "crm.csv", rows)
    env = environment(sandbox)
    args = ["push-users", "--input", str(source), "--db", str(tmp_path / "push.duckdb")]

    piped = in_a_pipe(args, env)
    # Bulk requests of 100 users: two jobs.
    jobs = sum(1 for r in sandbox.app.request_log() if r["method"] == "POST")
    assert jobs == 2
    assert re.search(
        rf"zdsync\.progress: push: {len(rows)}/{len(rows)} rows, 2/2 jobs, 1 failed rows, done$",
        piped.stderr,
        re.M,
    ), piped.stderr

    shown = ANSI.sub("", in_terminal([*args[:-1], str(tmp_path / "again.duckdb")], env))
    assert re.search(r"rows\s+jobs\s+failed rows", shown)
    assert re.search(rf"^ *push +{len(rows)}/{len(rows)} +2/2 +1 +done", shown, re.M), shown
