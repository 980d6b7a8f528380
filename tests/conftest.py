"""Shared fixtures: a real sandbox over loopback, and clients configured for it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from tests.postgres import PostgresServer, postgres_server
from zdsync.client import (
    ApiTokenCredentials,
    RateLimitSettings,
    RetrySettings,
    Settings,
    ZendeskClient,
)
from zdsync.client.secrets import Secret
from zdsync.sandbox import Sandbox, SandboxConfig

pytest_plugins = ["tests.unrouted"]

# Tests compress Zendesk's minute-long rate-limit windows to keep the suite quick.
FAST_RETRY = RetrySettings(
    max_attempts=6,
    backoff_base_seconds=0.01,
    backoff_cap_seconds=0.05,
    retry_after_default_seconds=0.2,
    retry_after_cap_seconds=5,
)


@contextmanager
def held_by_another_process(db: Path) -> Iterator[None]:
    """``db`` opened for writing by another process, as a running extract or push holds it."""
    holder = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
            "sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        yield
    finally:
        holder.communicate("")


def settings_for(sandbox: Sandbox, **overrides: object) -> Settings:
    config = sandbox.config
    values: dict[str, object] = {
        "origin": sandbox.base_url,
        "credentials": ApiTokenCredentials(sandbox.admin_email, Secret(sandbox.api_token)),
        "rate_limits": RateLimitSettings(
            account_per_window=config.account_rpm,
            incremental_per_window=config.incremental_rpm,
            users_cursor_per_window=config.users_cursor_rpm,
            window_seconds=config.window_seconds,
        ),
        "retry": FAST_RETRY,
        "timeout_seconds": 10.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[Sandbox]:
    """A read-only sandbox for tests that do not change data or spend limits."""
    with Sandbox(SandboxConfig(rate_limits="off", tickets=1500, users=400)).start() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A fresh sandbox per test; parametrise with a SandboxConfig through ``indirect``.

    The sandbox gets a copy: a test that changes its sandbox's settings leaves the parameter,
    which later tests share, as it was.
    """
    config = getattr(request, "param", None) or SandboxConfig(rate_limits="off")
    with Sandbox(replace(config)).start() as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[ZendeskClient]:
    with ZendeskClient(settings_for(sandbox)) as zendesk:
        yield zendesk


@pytest.fixture
def shared_client(shared_sandbox: Sandbox) -> Iterator[ZendeskClient]:
    with ZendeskClient(settings_for(shared_sandbox)) as zendesk:
        yield zendesk


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    return tmp_path / "tokens" / "oauth.json"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own, started once for the tests that ask for it."""
    with postgres_server() as server:
        yield server
