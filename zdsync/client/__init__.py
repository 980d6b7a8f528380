"""The Zendesk API client shared by the extract, the reverse ETL and the CLI."""

from zdsync.client.http import ZendeskClient
from zdsync.client.pagination import (
    CursorList,
    IncrementalCursorExport,
    OffsetList,
    Page,
    PageRequest,
    Paginator,
    TimeBasedExport,
    WholeAnswer,
)
from zdsync.client.settings import (
    ApiTokenCredentials,
    OAuthCredentials,
    RateLimitSettings,
    RetrySettings,
    Settings,
)

__all__ = [
    "ApiTokenCredentials",
    "CursorList",
    "IncrementalCursorExport",
    "OAuthCredentials",
    "OffsetList",
    "Page",
    "PageRequest",
    "Paginator",
    "RateLimitSettings",
    "RetrySettings",
    "Settings",
    "TimeBasedExport",
    "WholeAnswer",
    "ZendeskClient",
]
