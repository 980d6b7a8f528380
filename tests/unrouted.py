"""A check over the whole session: every request a test sends to a sandbox is a catalog
operation, and so one Zendesk's OpenAPI file (or, for ZIS, the seeds) documents.

Each in-process sandbox logs the operation of every request (``LoggedRequest.operation``); after
each test, any request it sent that no operation serves fails the test. A test that sends such
requests on purpose, to see the sandbox refuse them as Zendesk does, says so with the
``sends_unknown_requests`` marker. Sandboxes in another process are checked by their tests,
through ``/_sandbox/requests``.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from zdsync.sandbox import server

# Not catalog operations: the sandbox's own control routes, and the OAuth token endpoint, which
# Zendesk's OpenAPI file describes and the client's authenticator calls by itself.
NOT_OPERATIONS = ("/_sandbox/", "/oauth/tokens")
_APPS: weakref.WeakSet[server.App] = weakref.WeakSet()
# Sandboxes made since the last check, held until it runs: a test's own sandbox stops (and may
# be collected) before this check's teardown.
_BORN: list[server.App] = []


def strays(entries: Iterable[dict[str, Any]]) -> list[str]:
    """``METHOD path`` of every logged request that is not a catalog operation."""
    return [
        f"{entry['method']} {entry['path']}"
        for entry in entries
        if entry.get("operation") is None and not entry["path"].startswith(NOT_OPERATIONS)
    ]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sends_unknown_requests: the test sends, on purpose, requests no catalog operation serves",
    )
    original = server.App.__init__

    def registered(app: server.App, *args: Any, **kwargs: Any) -> None:
        original(app, *args, **kwargs)
        _APPS.add(app)
        _BORN.append(app)

    server.App.__init__ = registered  # type: ignore[method-assign,assignment]


@pytest.fixture(autouse=True)
def _only_catalog_operations(request: pytest.FixtureRequest) -> Iterator[None]:
    started = time.time()
    yield
    if request.node.get_closest_marker("sends_unknown_requests"):
        return
    apps = {id(app): app for app in [*_APPS, *_BORN]}
    _BORN.clear()
    found = [stray for app in apps.values() for stray in strays(_logged_since(app, started))]
    if found:
        pytest.fail(f"requests no catalog operation serves: {sorted(set(found))}")


def _logged_since(app: server.App, started: float) -> Iterator[dict[str, Any]]:
    # Newest first, stopping at the test's start: a session-long sandbox's log grows long.
    for entry in reversed(list(app.log)):
        if entry.at < started:
            return
        yield vars(entry)
