"""One Prefect test server for the whole session: it takes about 20 s to start."""

from __future__ import annotations

# Before Prefect, as every entry point does: it names the loggers Prefect sends to each run,
# and Prefect reads that once, when it is first imported.
import flows  # isort: skip  # noqa: F401

from collections.abc import Iterator

import pytest
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield
