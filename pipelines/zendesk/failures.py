"""What went wrong in a run, as the one line ``ExtractError`` carries."""

from __future__ import annotations

import re

from dlt.extract.exceptions import ResourceExtractionError

from pipelines.zendesk.state import StateVersionError
from zdsync.client.errors import RetryLaterError, ZendeskError
from zdsync.errors import ExtractError, first_line


def extract_error(exc: BaseException) -> ExtractError:
    """``exc``, raised by dlt or by zdsync inside it, as the error a user is shown."""
    return ExtractError(reason(exc), transient=transient(exc))


def transient(exc: BaseException) -> bool:
    """Whether trying again later can help: the client ran out of retries on a passing fault."""
    return any(isinstance(seen, RetryLaterError) for seen in _chain(exc))


def reason(exc: BaseException) -> str:
    """The root cause a user can act on, in one line, with the resource it arose in."""
    resource = None
    root = exc
    for seen in _chain(exc):
        if isinstance(seen, ZendeskError | StateVersionError):
            return str(seen)
        if isinstance(seen, ResourceExtractionError):
            resource = seen.pipe_name
        root = seen
    # DuckDB names the in-memory copy of the page it was reading, which means nothing to a user.
    text = re.sub(r' in file "DUCKDB_INTERNAL_[^"]*",', "", first_line(root))
    return f"{resource}: {text}" if resource else text


def _chain(exc: BaseException) -> list[BaseException]:
    found = []
    seen: BaseException | None = exc
    while seen is not None:
        found.append(seen)
        seen = seen.__cause__ or seen.__context__
    return found
