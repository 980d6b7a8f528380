"""Every Zendesk operation zdsync knows, declared once as typed data.

The client's rate limiter, the reverse ETL, the extract's streams, the sandbox's routes and the
OpenAPI conformance tests read their paths from here; ``ZendeskClient.call`` runs any of them
by name, with its arguments checked first.
"""

from zdsync.catalog.model import BULK_MAX, Kind, Method, Operation, Paging, Param, Source
from zdsync.catalog.table import (
    BY_NAME,
    OPERATIONS,
    UnknownOperationError,
    find,
    match,
    operation,
)

__all__ = [
    "BULK_MAX",
    "BY_NAME",
    "OPERATIONS",
    "Kind",
    "Method",
    "Operation",
    "Paging",
    "Param",
    "Source",
    "UnknownOperationError",
    "find",
    "match",
    "operation",
]
