"""The Zendesk dlt source: incremental exports, deleted users and GDPR statuses."""

from pipelines.zendesk.extract import (
    DEFAULT_DB,
    ExtractOptions,
    ExtractSummary,
    ResourceSummary,
    keep_memory_flat,
    run_extract,
)
from pipelines.zendesk.streams import RESOURCE_NAMES

# Before any extract thread starts, so every thread's allocations follow it.
keep_memory_flat()

__all__ = [
    "DEFAULT_DB",
    "RESOURCE_NAMES",
    "ExtractOptions",
    "ExtractSummary",
    "ResourceSummary",
    "run_extract",
]
