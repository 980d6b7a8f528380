"""The shape of one Zendesk operation, and how a request path is matched to one.

An ``Operation`` is a row of the catalog: everything a caller, the sandbox, the rate limiter
and the conformance tests need to know about one endpoint, as data. Nothing here talks HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Literal

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Where = Literal["path", "query", "body"]
# How an argument is written: "ids" is a list of integer ids sent comma-separated; "object" and
# "objects" are a JSON object and a list of them.
Kind = Literal["integer", "string", "boolean", "ids", "strings", "object", "objects"]
# The documents the catalog is derived from: the numbered seeds, the API notes for operations
# the project relied on before the seeds named them, Zendesk's OpenAPI file, and Zendesk's API
# reference for the few endpoints that file leaves out (business hours).
Source = Literal["000", "001", "002", "003", "004", "notes", "oas", "reference"]


class Paging(Enum):
    """How a list is read page by page; each names one paginator of ``zdsync.client``."""

    NONE = "none"
    CURSOR = "cursor"
    OFFSET = "offset"
    INCREMENTAL_CURSOR = "incremental_cursor"
    INCREMENTAL_TIME = "incremental_time"
    # The search export: cursor pages of mixed ``results``, narrowed by ``filter[type]``.
    SEARCH = "search"


@dataclass(frozen=True)
class Param:
    """One argument of an operation.

    Attributes:
        name: As Zendesk spells it (a path placeholder, a query key, a top-level body key).
        kind: How its value is written.
        where: Path, query string or JSON body.
        required: Whether the operation refuses to run without it.
        max_items: The most items a list value may hold.
        fields: For object values, the fields each object must carry.
        secret: A credential (a password): redacted wherever the request is shown.
    """

    name: str
    kind: Kind = "string"
    where: Where = "query"
    required: bool = False
    max_items: int | None = None
    fields: tuple[str, ...] = ()
    secret: bool = False

    @property
    def identifier(self) -> str:
        """The name as a Python keyword or CLI option: ``role[]`` is ``role_list``,
        ``filter[type]`` is ``filter_type``."""
        return re.sub(r"\W+", "_", self.name.replace("[]", "_list")).strip("_")


@dataclass(frozen=True)
class Operation:
    """One Zendesk REST operation.

    Attributes:
        name: ``group.action``, e.g. ``tickets.merge``; unique in the catalog.
        method: HTTP method.
        path: Path template; placeholders are path params in ``params``.
        params: Every argument, path placeholders included.
        response_key: The body key the answer sits under (``user``, ``users``), if any.
        paging: How a list answer is read to its end.
        rate_limit: The client bucket (``zdsync.client.ratelimit.BUCKETS``) that paces it, or
            several when Zendesk limits it more than one way.
        bulk_job: It queues a background job and answers with a ``job_status``.
        destructive: It deletes or irreversibly changes data.
        sources: The seeds (or notes) it comes from.
        one_of: Arguments of which at least one must be given.
        timestamp_field: For time-based exports, the field the export compares.
        secret_fields: Fields of the answer that are credentials, as dotted paths
            (``zendesk_oauth_client.secret``): the client hands them back as ``Secret``.
        result_cap: The most results Zendesk serves of one list; past it the client reads
            the list another way (``zdsync.client.search_cap``).
        in_oas: False for the few a seed documents that Zendesk's OpenAPI file leaves out.
    """

    name: str
    method: Method
    path: str
    params: tuple[Param, ...] = ()
    response_key: str | None = None
    paging: Paging = Paging.NONE
    rate_limit: str | tuple[str, ...] = "account"
    bulk_job: bool = False
    destructive: bool = False
    sources: tuple[Source, ...] = ()
    one_of: tuple[str, ...] = ()
    timestamp_field: str | None = None
    secret_fields: tuple[str, ...] = ()
    result_cap: int | None = None
    in_oas: bool = True

    @property
    def buckets(self) -> tuple[str, ...]:
        """The rate-limit buckets a request of this operation spends, besides the account's."""
        return (self.rate_limit,) if isinstance(self.rate_limit, str) else self.rate_limit

    @property
    def group(self) -> str:
        return self.name.rpartition(".")[0]

    @property
    def path_params(self) -> tuple[Param, ...]:
        return tuple(param for param in self.params if param.where == "path")

    @property
    def body_key(self) -> str | None:
        """The key the request body wraps its record(s) in (``user``, ``users``).

        None when the body is plain fields, or when it takes one of two wrappers
        (``update_many``: ``user`` for one change to many, ``users`` for one change each).
        """
        wrapped = [p for p in self.params if p.where == "body" and p.kind in ("object", "objects")]
        return wrapped[0].name if len(wrapped) == 1 else None

    def path_for(self, **values: object) -> str:
        """The path with its placeholders filled in, e.g. ``path_for(user_id=7)``."""
        return self.path.format_map({name: str(value) for name, value in values.items()})

    @property
    def is_zis(self) -> bool:
        return self.path.startswith("/api/services/zis/")

    @property
    def in_support_oas(self) -> bool:
        """Zendesk's Support OpenAPI file describes it (ZIS, business hours and a few seed
        operations it does not)."""
        return self.in_oas and not self.is_zis and "reference" not in self.sources

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The path as a regular expression, one named group per placeholder, ``.json`` allowed.

        Integer placeholders match digits only, so ``/users/me`` is never a ``{user_id}``.
        """
        kinds = {param.name: param.kind for param in self.path_params}

        def group(found: re.Match[str]) -> str:
            name = found[1]
            body = r"\d+" if kinds.get(name) == "integer" else r"[^/]+?"
            return f"(?P<{name}>{body})"

        parts = re.split(r"(\{\w+\})", self.path)
        regex = "".join(
            re.sub(r"\{(\w+)\}", group, part) if part.startswith("{") else re.escape(part)
            for part in parts
        )
        return re.compile(rf"{regex}(?:\.json)?")

    @property
    def specificity(self) -> tuple[int, int]:
        """Sorts literal paths before templated ones that also match (``show_many`` first)."""
        return (self.path.count("{"), -len(re.sub(r"\{\w+\}", "", self.path)))


def placeholders(path: str) -> tuple[str, ...]:
    """The ``{name}`` placeholders of a path template, in order."""
    return tuple(re.findall(r"\{(\w+)\}", path))


def in_path(name: str, kind: Kind = "integer") -> Param:
    """A path placeholder; ids are integers unless Zendesk also takes a name or key there."""
    return Param(name, kind, "path", required=True)


def in_query(
    name: str, kind: Kind = "string", *, required: bool = False, max_items: int | None = None
) -> Param:
    return Param(name, kind, "query", required, max_items)


def in_body(
    name: str,
    kind: Kind = "object",
    *,
    required: bool = True,
    fields: tuple[str, ...] = (),
    max_items: int | None = None,
    secret: bool = False,
) -> Param:
    """A top-level key of the JSON body: the record wrapper (``user``) or a plain field."""
    return Param(name, kind, "body", required, max_items, fields, secret)


# Zendesk's bulk endpoints take at most this many records or ids per request.
BULK_MAX = 100
