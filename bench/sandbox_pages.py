"""How fast the sandbox serves a full ticket export: pages and records per second.

Run with ``make bench``. Rate limits are off, so the figure is the sandbox's own ceiling.
"""

from __future__ import annotations

import logging
import time

from zdsync.client import (
    ApiTokenCredentials,
    IncrementalCursorExport,
    RateLimitSettings,
    Settings,
    ZendeskClient,
)
from zdsync.client.secrets import Secret
from zdsync.sandbox import Sandbox, SandboxConfig

log = logging.getLogger("bench")


def main(tickets: int = 100_000) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = SandboxConfig(
        rate_limits="off", tickets=tickets, users=50_000, organizations=10_000, deleted_users=5_000
    )
    started = time.perf_counter()
    with Sandbox(config).start() as sandbox:
        log.info("sandbox generated %d tickets in %.1fs", tickets, time.perf_counter() - started)
        settings = Settings(
            origin=sandbox.base_url,
            credentials=ApiTokenCredentials(sandbox.admin_email, Secret(sandbox.api_token)),
            rate_limits=RateLimitSettings(enabled=False),
        )
        with ZendeskClient(settings) as client:
            started = time.perf_counter()
            pages = records = 0
            for page in client.paginate(
                IncrementalCursorExport(
                    "/api/v2/incremental/tickets/cursor", "tickets", start_time=0
                )
            ):
                pages += 1
                records += len(page.items)
            elapsed = time.perf_counter() - started
    log.info(
        "served %d pages, %d tickets in %.2fs: %.1f pages/s, %.0f tickets/s",
        pages,
        records,
        elapsed,
        pages / elapsed,
        records / elapsed,
    )


if __name__ == "__main__":
    main()
