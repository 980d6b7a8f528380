"""The session-wide request check fails a test that sends what no catalog operation serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE = """
import httpx
import pytest

from zdsync.sandbox import Sandbox, SandboxConfig


def _send(path):
    with Sandbox(SandboxConfig(rate_limits="off", users=20, tickets=10)).start() as sandbox:
        auth = (f"{sandbox.admin_email}/token", sandbox.api_token)
        return httpx.get(sandbox.base_url + path, auth=auth).status_code


def test_stray():
    assert _send("/api/v2/no/such/thing") == 404


@pytest.mark.sends_unknown_requests
def test_stray_on_purpose():
    assert _send("/api/v2/no/such/thing") == 404


def test_a_catalog_operation():
    assert _send("/api/v2/users/me") == 200
"""


def test_a_request_no_operation_serves_fails_its_test_unless_marked(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(PROBE)
    ran = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.unrouted",
            "-p",
            "no:randomly",
            "-q",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "test_probe.py"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert ran.returncode == 1, ran.stdout
    assert "requests no catalog operation serves: ['GET /api/v2/no/such/thing']" in ran.stdout
    assert "3 passed, 1 error" in ran.stdout
