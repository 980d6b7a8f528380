"""The table of Zendesk's rate limits the client keeps: one ``Bucket`` per limit.

Which requests spend each is the catalog's to say: every ``zdsync.catalog`` operation names
its buckets, and every request under ``/api/v2/`` spends the account's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from zdsync import catalog
from zdsync.client.settings import RateLimitSettings

ACCOUNT = "account"
ACCOUNT_HEADER = "x-rate-limit"
_ACCOUNT_PREFIX = "/api/v2/"


@dataclass(frozen=True)
class Bucket:
    """One Zendesk limit: how big it is and the header that reports it.

    Which requests spend it is the catalog's to say: each ``zdsync.catalog`` operation names
    its bucket, and every request under ``/api/v2/`` spends the account's.

    Attributes:
        name: The limiter's name, as catalog operations give it.
        size: Requests allowed per window, read from the settings.
        header: The header (lower case) that reports it.
        window_share: Its window as a share of the configured window (1/60: per second).
        assumed_by: Buckets whose requests are not known to spend this one, paced as if they
            did until the responses show they do not.
        per: A path parameter: the limit holds per record (``organization_id``), one limiter
            for each.
        reserved: Whether account-only requests leave room in the account budget for it.
    """

    name: str
    size: Callable[[RateLimitSettings], int]
    header: str | None = None
    window_share: float = 1.0
    assumed_by: tuple[str, ...] = ()
    per: str | None = None
    reserved: bool = True

    def governs(self, method: str, path: str) -> bool:
        """Whether the request is known to spend this bucket."""
        if self.name == ACCOUNT:
            return path.startswith(_ACCOUNT_PREFIX)
        found = catalog.find(method, path)
        return found is not None and self.name in found.buckets

    def assumes(self, path: str, method: str = "GET") -> bool:
        """Whether the request is paced as if it spent this bucket, until shown otherwise."""
        found = catalog.find(method, path)
        return found is not None and bool(set(found.buckets) & set(self.assumed_by))

    def limiter_name(self, method: str, path: str) -> str:
        """The limiter a request spends: the bucket's, or for a per-record bucket the record's."""
        if self.per is None:
            return self.name
        found = catalog.match(method, path)
        return f"{self.name}:{found[1][self.per]}" if found else self.name

    def covers(self, method: str, path: str) -> bool:
        return self.governs(method, path) or self.assumes(path, method)


BUCKETS = (
    Bucket(ACCOUNT, lambda s: s.account_per_window, header=ACCOUNT_HEADER),
    Bucket(
        "incremental",
        lambda s: s.incremental_per_window,
        header="zendesk-ratelimit-incremental-exports",
        assumed_by=("users_cursor",),
    ),
    Bucket(
        "users_cursor",
        lambda s: s.users_cursor_per_window,
        header="zendesk-ratelimit-incremental-exports-cursor",
    ),
    Bucket(
        "single_user_write",
        lambda s: s.single_user_write_per_second,
        header="zendesk-ratelimit-create-update-user",
        window_share=1 / 60,
    ),
    # Zendesk names no header for the next two; the sandbox reports them under these names.
    Bucket(
        "search_export",
        lambda s: s.search_export_per_window,
        header="zendesk-ratelimit-search-export",
        reserved=False,
    ),
    Bucket(
        "permanent_deletion",
        lambda s: s.permanent_deletions_per_ten_windows,
        header="zendesk-ratelimit-permanent-user-deletions",
        window_share=10,
        reserved=False,
    ),
    Bucket("ticket_update", lambda s: s.ticket_updates_per_window, reserved=False),
    Bucket(
        "ticket_update_per_ticket",
        lambda s: s.ticket_updates_per_ticket_per_ten_windows,
        window_share=10,
        per="ticket_id",
        reserved=False,
    ),
    Bucket(
        "organization_update",
        lambda s: s.organization_updates_per_window,
        per="organization_id",
        reserved=False,
    ),
    Bucket("user_update", lambda s: s.user_updates_per_window, per="user_id", reserved=False),
)
BY_NAME = {bucket.name: bucket for bucket in BUCKETS}
BY_HEADER = {bucket.header: bucket for bucket in BUCKETS if bucket.header}
# Limiters learned from headers the table does not know get room kept, as the exports do.
LEARNED = Bucket("learned", lambda s: 0)
