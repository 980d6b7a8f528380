"""The run-level errors: what kind each failure is, and the exit status the CLI gives it."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import settings_for
from tests.reverse_etl.conftest import crm_rows, write_csv
from zdsync.cli import exit_code
from zdsync.client import ApiTokenCredentials, RateLimitSettings
from zdsync.client.errors import (
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ZendeskError,
)
from zdsync.client.secrets import Secret
from zdsync.errors import (
    BulkImportsDisabledError,
    ExtractError,
    ExtractFixAndRunAgainError,
    ExtractRunAgainLaterError,
    FixAndRunAgainError,
    InputError,
    PushError,
    PushFixAndRunAgainError,
    PushRunAgainLaterError,
    RunAgainLaterError,
    RunError,
    TransformError,
)
from zdsync.reverse_etl.push import PushOptions, push_users
from zdsync.sandbox import Sandbox, SandboxConfig

ZDSYNC = str(Path(sys.executable).parent / "zdsync")


@pytest.fixture
def unavailable() -> Iterator[Sandbox]:
    """A Zendesk that answers every API request 503, with Retry-After: 0 so retries are quick."""
    config = SandboxConfig(rate_limits="off", users=20, tickets=10, faults="503:0=1.0")
    with Sandbox(config).start() as running:
        yield running


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ExtractError("401 Couldn't authenticate you"), 1),
        (ExtractError("503 Service Unavailable", transient=True), 75),
        (PushFixAndRunAgainError("no such input file"), 1),
        (PushRunAgainLaterError("429 after every retry"), 75),
        (InputError("give --input FILE or --query SQL"), 1),
        (BulkImportsDisabledError("bulk user imports are disabled"), 1),
        (TransformError("model 01_stg_tickets failed"), 1),
        (ServerError("503 (GET /api/v2/users/me)", status=503), 75),
        (RateLimitedError("429 (GET /api/v2/users/me)", status=429), 75),
        (AuthenticationError("Zendesk refused the credentials", status=401), 1),
        (NotFoundError("404 (GET /api/v2/user_fields)", status=404), 1),
    ],
)
def test_the_exit_status_says_whether_to_fix_or_to_wait(
    error: RunError | ZendeskError, code: int
) -> None:
    assert exit_code(error) == code


def test_an_extract_error_is_of_the_kind_its_cause_calls_for() -> None:
    fix, later = ExtractError("unknown resources: nope"), ExtractError("503", transient=True)

    assert isinstance(fix, ExtractFixAndRunAgainError)
    assert isinstance(fix, FixAndRunAgainError)
    assert not isinstance(fix, RunAgainLaterError)
    assert isinstance(later, ExtractRunAgainLaterError)
    assert not isinstance(later, FixAndRunAgainError)
    assert all(isinstance(e, ExtractError) for e in (fix, later))


@pytest.mark.parametrize(
    "error",
    [ExtractError("503", transient=True), ExtractError("401"), PushRunAgainLaterError("429")],
)
def test_an_error_keeps_its_kind_and_message_through_pickling(error: RunError) -> None:
    # Prefect stores the exception of a failed run.
    again = pickle.loads(pickle.dumps(error))  # noqa: S301

    assert type(again) is type(error)
    assert str(again) == str(error)


def test_the_cli_says_to_run_again_later_when_zendesk_stays_unavailable(
    unavailable: Sandbox, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "ZENDESK_BASE_URL": unavailable.base_url,
        "ZENDESK_EMAIL": unavailable.admin_email,
        "ZENDESK_API_TOKEN": unavailable.api_token,
        "ZENDESK_RATE_LIMITS": "off",
    }

    done = subprocess.run(  # noqa: S603
        [ZDSYNC, "extract", "--db", str(tmp_path / "x.duckdb"), "--resources", "tickets"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 75
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("zdsync: error: 503")
    assert unavailable.api_token not in done.stderr


def test_a_push_zendesk_does_not_answer_is_to_run_again_later(
    unavailable: Sandbox, tmp_path: Path
) -> None:
    options = PushOptions(input=write_csv(tmp_path / "crm.csv", crm_rows(3)), db=tmp_path / "s.db")
    settings = settings_for(unavailable, rate_limits=RateLimitSettings(enabled=False))

    with pytest.raises(PushRunAgainLaterError, match="503") as raised:
        push_users(settings, options)

    assert isinstance(raised.value, PushError)
    assert "\n" not in str(raised.value)


def test_a_push_with_refused_credentials_is_to_fix(tmp_path: Path) -> None:
    with Sandbox(SandboxConfig(rate_limits="off", users=20, tickets=10)).start() as sandbox:
        settings = settings_for(
            sandbox,
            credentials=ApiTokenCredentials(sandbox.admin_email, Secret("wrong-token-1b2c")),
            rate_limits=RateLimitSettings(enabled=False),
        )
        options = PushOptions(
            input=write_csv(tmp_path / "crm.csv", crm_rows(3)), db=tmp_path / "s.db"
        )

        with pytest.raises(PushFixAndRunAgainError, match="401") as raised:
            push_users(settings, options)

    assert "wrong-token-1b2c" not in str(raised.value)
