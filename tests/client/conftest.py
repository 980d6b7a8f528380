"""Client fixtures: the shared sandbox read without the client's own pacing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import settings_for
from zdsync.client import RateLimitSettings, ZendeskClient
from zdsync.sandbox import Sandbox


@pytest.fixture
def shared_client(shared_sandbox: Sandbox) -> Iterator[ZendeskClient]:
    """A client of the shared sandbox that does not pace itself.

    The shared sandbox enforces no limits but still reports them, and every test spends the
    same windows; a pacing client would believe a report of budget other tests used up and
    wait out the window. Pacing has its own tests, each on a sandbox of its own.
    """
    unpaced = RateLimitSettings(enabled=False)
    with ZendeskClient(settings_for(shared_sandbox, rate_limits=unpaced)) as zendesk:
        yield zendesk
