"""The Zendesk dlt source and the extract that runs it: exports, lists and the GDPR scrub."""

from pipelines.zendesk.extract import run_extract
from pipelines.zendesk.options import DEFAULT_DB, ExtractOptions
from pipelines.zendesk.progress import StreamProgress
from pipelines.zendesk.resources import zendesk
from pipelines.zendesk.stream import Stream
from pipelines.zendesk.streams import EXPORT_NAMES, RESOURCE_NAMES, STREAMS
from pipelines.zendesk.summary import ExtractSummary, ResourceSummary

__all__ = [
    "DEFAULT_DB",
    "EXPORT_NAMES",
    "RESOURCE_NAMES",
    "STREAMS",
    "ExtractOptions",
    "ExtractSummary",
    "ResourceSummary",
    "Stream",
    "StreamProgress",
    "run_extract",
    "zendesk",
]
