"""Search past its cap: ``/api/v2/search`` serves at most the first 1,000 results.

Its first page counts every match. When the count passes the cap, the remaining pages would
end in Zendesk's 422, so the client reads the whole result through the export search instead
(``search.export``: cursor pages, no cap, one ``filter[type]`` at a time, its own 100-a-minute
budget), once per type the query can return, and logs that it did. The export has no
``sort_by``: its results come newest first, type after type.

The alternative, narrowing the query by created date until every slice counts under 1,000,
costs a count request per slice and cannot split a second holding more than 1,000 matches;
the export has neither problem.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from zdsync.client.pagination import OffsetList, Record

if TYPE_CHECKING:
    from zdsync.client.http import ZendeskClient

log = logging.getLogger(__name__)

# What ``filter[type]`` takes, in the order the export is read.
KINDS = ("ticket", "user", "organization", "group")
EVERYTHING = "created>1970-01-01"
# A ``type:`` term, negated or not; the export takes the type from filter[type] only.
_TYPE_TERM = re.compile(r"(?:^|(?<=\s))(-?)type:(\w+)(?=\s|$)", re.IGNORECASE)


def records(
    client: ZendeskClient, path: str, query: Mapping[str, Any], cap: int
) -> Iterator[Record]:
    """Every result of a search, through the export search when there are more than ``cap``."""
    pages = client.paginate(OffsetList(path, "results", params=query))
    first = next(pages)
    count = int(first.body.get("count") or 0)
    if count <= cap:
        yield from first.items
        for page in pages:
            yield from page.items
        return
    text = str(query.get("query", ""))
    kinds, rest = split_types(text)
    log.info(
        "search %r matches %d results, more than the %d search.list serves: reading them "
        "through search.export (filter[type] %s)%s",
        text,
        count,
        cap,
        ", ".join(kinds),
        ", newest first, without sort_by" if "sort_by" in query else "",
    )
    # The export refuses an empty query; every record was created after this.
    rest = rest or EVERYTHING
    for kind in kinds:
        yield from client.records("search.export", query=rest, filter_type=kind)


def split_types(text: str) -> tuple[tuple[str, ...], str]:
    """The types a query can return (its ``type:`` terms, or every type but those it
    negates), and the query without those terms."""
    terms = _TYPE_TERM.findall(text)
    wanted = {kind.lower() for negated, kind in terms if not negated}
    unwanted = {kind.lower() for negated, kind in terms if negated}
    kinds = tuple(kind for kind in KINDS if (kind in wanted or not wanted) and kind not in unwanted)
    return kinds, " ".join(_TYPE_TERM.sub(" ", text).split())
