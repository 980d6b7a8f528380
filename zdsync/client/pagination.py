"""Zendesk's four pagination styles, one small strategy class each.

A paginator names its first request, then reads each response body into a ``Page`` and the next
request (or None when its stop rule says the stream is done). ``Page.position`` is where a later
run resumes: persist it together with the page's items, never before.

Stop rules, and why:

* ``IncrementalCursorExport`` stops on ``end_of_stream``. The last page still carries an
  ``after_cursor``: it is the position for the next run.
* ``TimeBasedExport`` stops on ``end_of_stream``; ``next_page`` is never null, so following it
  would poll forever.
* ``CursorList`` stops when ``meta.has_more`` is false; the last page still has non-null cursors
  and ``links.next``.
* ``OffsetList`` stops when ``next_page`` is null.

Lists Zendesk does not page at all are one ``WholeAnswer``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zdsync.client.errors import InvalidRequestError, PaginationError, ZendeskError

Record = dict[str, Any]
MAX_EXPORT_PAGE = 1000
MAX_LIST_PAGE = 100


@dataclass(frozen=True)
class PageRequest:
    """A path on the configured origin, or an absolute URL the server handed us."""

    url: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    items: list[Record]
    body: Mapping[str, Any]
    position: Any
    is_last: bool


class Paginator(ABC):
    """One Zendesk pagination style."""

    @abstractmethod
    def first_request(self) -> PageRequest: ...

    @abstractmethod
    def read(self, body: Mapping[str, Any]) -> tuple[Page, PageRequest | None]: ...

    def recover(self, error: ZendeskError) -> Page:
        """Turn an error that means "nothing more" into an empty last page; re-raise others."""
        raise error


def _is_too_recent(error: ZendeskError) -> bool:
    return (
        isinstance(error, InvalidRequestError)
        and error.status == 422
        and "too recent start_time" in str(error).lower()
    )


class _IncrementalExport(Paginator):
    """Shared by both export styles: a 422 "too recent start_time" means nothing new yet."""

    position: Any

    def recover(self, error: ZendeskError) -> Page:
        if _is_too_recent(error):
            return Page(items=[], body={}, position=self.position, is_last=True)
        raise error


class IncrementalCursorExport(_IncrementalExport):
    """``/api/v2/incremental/{tickets,users}/cursor``: resumable, no duplicates."""

    def __init__(
        self,
        path: str,
        key: str,
        *,
        start_time: int | None = None,
        cursor: str | None = None,
        per_page: int = MAX_EXPORT_PAGE,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if not 1 <= per_page <= MAX_EXPORT_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_EXPORT_PAGE}, got {per_page}")
        self.path, self.key = path, key
        self.start_time = start_time
        self.position: str | None = cursor
        self._params = {"per_page": per_page, **(params or {})}

    def first_request(self) -> PageRequest:
        if self.position:
            return PageRequest(self.path, {**self._params, "cursor": self.position})
        return PageRequest(self.path, {**self._params, "start_time": self.start_time or 0})

    def read(self, body: Mapping[str, Any]) -> tuple[Page, PageRequest | None]:
        after = body.get("after_cursor")
        previous = self.position
        self.position = after or previous
        page = Page(
            list(body.get(self.key) or []), body, self.position, bool(body.get("end_of_stream"))
        )
        if page.is_last:
            return page, None
        if not after or after == previous:
            raise PaginationError(
                f"{self.path}: after_cursor did not advance and end_of_stream is false"
            )
        return page, PageRequest(
            body.get("after_url") or self.path, {**self._params, "cursor": after}
        )


class TimeBasedExport(_IncrementalExport):
    """``/api/v2/incremental/{tickets,users,organizations}``: ``start_time`` paging.

    Pages overlap: the next ``start_time`` is the last page's ``end_time``, and every record
    stamped with that second comes back. Repeats are dropped within a run (a record that changed
    meanwhile is kept). A page may exceed ``per_page`` because the server finishes the second.
    """

    def __init__(
        self,
        path: str,
        key: str,
        *,
        start_time: int,
        timestamp_of: Callable[[Record], int],
        per_page: int = MAX_EXPORT_PAGE,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if not 1 <= per_page <= MAX_EXPORT_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_EXPORT_PAGE}, got {per_page}")
        self.path, self.key = path, key
        self.position: int = start_time
        self._timestamp_of = timestamp_of
        self._params = {"per_page": per_page, **(params or {})}
        self._boundary: dict[Any, Record] = {}

    def first_request(self) -> PageRequest:
        return PageRequest(self.path, {**self._params, "start_time": self.position})

    def read(self, body: Mapping[str, Any]) -> tuple[Page, PageRequest | None]:
        raw = list(body.get(self.key) or [])
        end_time = body.get("end_time")
        if not isinstance(end_time, int):
            raise PaginationError(f"{self.path}: response has no integer end_time")
        if end_time < self.position:
            raise PaginationError(f"{self.path}: end_time {end_time} went backwards")
        items = [item for item in raw if self._boundary.get(item.get("id")) != item]
        next_start = self._next_start(raw, end_time, bool(body.get("end_of_stream")))
        self._boundary = {
            item.get("id"): item for item in raw if self._timestamp_of(item) == end_time
        }
        self.position = next_start
        is_last = bool(body.get("end_of_stream"))
        page = Page(items, body, next_start, is_last)
        if is_last:
            return page, None
        url = body.get("next_page") or self.path
        return page, PageRequest(url, {**self._params, "start_time": next_start})

    def _next_start(self, raw: list[Record], end_time: int, end_of_stream: bool) -> int:
        if end_of_stream or end_time > self.position:
            return end_time
        # end_time == start_time: the whole page sits in one second. Zendesk finishes the
        # second on a page, so every record of it is here and the next second is safe.
        if raw and all(self._timestamp_of(item) == end_time for item in raw):
            return end_time + 1
        raise PaginationError(f"{self.path}: end_time {end_time} did not advance")


class CursorList(Paginator):
    """``page[size]`` lists such as ``/api/v2/deleted_users``: stop on ``meta.has_more``."""

    def __init__(
        self,
        path: str,
        key: str,
        *,
        page_size: int = MAX_LIST_PAGE,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_LIST_PAGE:
            raise ValueError(f"page_size must be 1..{MAX_LIST_PAGE}, got {page_size}")
        self.path, self.key = path, key
        self._params = {"page[size]": page_size, **(params or {})}
        self.position: str | None = None

    def first_request(self) -> PageRequest:
        return PageRequest(self.path, self._params)

    def read(self, body: Mapping[str, Any]) -> tuple[Page, PageRequest | None]:
        meta = body.get("meta") or {}
        after = meta.get("after_cursor")
        previous, self.position = self.position, after or self.position
        page = Page(list(body.get(self.key) or []), body, self.position, not meta.get("has_more"))
        if page.is_last:
            return page, None
        if not after or after == previous:
            raise PaginationError(f"{self.path}: has_more is true but after_cursor did not advance")
        next_url = (body.get("links") or {}).get("next")
        if next_url:
            return page, PageRequest(next_url)
        return page, PageRequest(self.path, {**self._params, "page[after]": after})


class WholeAnswer(Paginator):
    """Lists Zendesk does not page (``/api/v2/custom_statuses``): one request, every record."""

    def __init__(self, path: str, key: str, *, params: Mapping[str, Any] | None = None) -> None:
        self.path, self.key = path, key
        self._params = dict(params or {})

    def first_request(self) -> PageRequest:
        return PageRequest(self.path, self._params)

    def read(self, body: Mapping[str, Any]) -> tuple[Page, PageRequest | None]:
        return Page(list(body.get(self.key) or []), body, None, True), None


class OffsetList(Paginator):
    """``?page=N&per_page=M`` lists: stop when ``next_page`` is null.

    Zendesk refuses offset pages past 100 or 10,000 records; prefer ``CursorList`` where the
    endpoint offers it.
    """

    def __init__(
        self,
        path: str,
        key: str,
        *,
        per_page: int = MAX_LIST_PAGE,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if not 1 <= per_page <= MAX_LIST_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_LIST_PAGE}, got {per_page}")
        self.path, self.key = path, key
        self._params = {"per_page": per_page, **(params or {})}
        self.position = 1

    def first_request(self) -> PageRequest:
        return PageRequest(self.path, {**self._params, "page": 1})

    def read(self, body: Mapping[str, Any]) -> tuple[Page, PageRequest | None]:
        items = list(body.get(self.key) or [])
        next_page = body.get("next_page")
        is_last = not next_page or not items
        if not is_last:
            self.position += 1
        page = Page(items, body, self.position, is_last)
        return page, None if is_last else PageRequest(str(next_page))
