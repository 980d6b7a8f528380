"""Any catalog operation as one call: arguments checked, the request built, every page read.

``prepare`` turns an operation name and its arguments into the request to send, or raises
``InvalidArgumentsError`` with a one-line reason before anything goes out: a missing required
argument, a path id that is not a number, a list longer than Zendesk takes, a record without a
field the operation needs. Arguments are named as Zendesk names them or by their Python
identifier (``filter_type`` for ``filter[type]``), and may be given as strings, the way a command
line hands them over: ``"7"`` for an id, ``"1,2,3"`` for ids, JSON text for a record.

``run`` sends it. A list operation is read to its end with the paginator its catalog entry
names, so a caller never writes a paging loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from zdsync import catalog
from zdsync.catalog import Operation, Paging, Param
from zdsync.client import search_cap
from zdsync.client.errors import InvalidArgumentsError
from zdsync.client.pagination import (
    CursorList,
    IncrementalCursorExport,
    OffsetList,
    Paginator,
    Record,
    TimeBasedExport,
)
from zdsync.client.responses import json_object
from zdsync.client.secrets import Secret

if TYPE_CHECKING:
    from zdsync.client.http import ZendeskClient


@dataclass(frozen=True)
class PreparedCall:
    """The request one operation call makes: path filled in, query and body typed."""

    operation: Operation
    path: str
    query: dict[str, Any]
    body: dict[str, Any] | None


def prepare(name: str, arguments: Mapping[str, Any]) -> PreparedCall:
    """Check ``arguments`` against operation ``name`` and build its request.

    Raises:
        InvalidArgumentsError: The name is unknown or an argument is wrong; nothing was sent.
    """
    try:
        op = catalog.operation(name)
    except catalog.UnknownOperationError as exc:
        raise InvalidArgumentsError(str(exc)) from None
    values = _by_param(op, arguments)
    given = {param.name for param in values}
    for param in op.params:
        if param.required and param.name not in given:
            raise InvalidArgumentsError(f"{op.name}: missing required argument {param.name!r}")
    if op.one_of and not given & set(op.one_of):
        raise InvalidArgumentsError(f"{op.name}: give one of {', '.join(op.one_of)}")
    typed = {param: _typed(op, param, value) for param, value in values.items()}
    path_values = {p.name: quote(str(v), safe="") for p, v in typed.items() if p.where == "path"}
    body = {p.name: v for p, v in typed.items() if p.where == "body"}
    return PreparedCall(
        op,
        op.path_for(**path_values),
        {p.name: _query_value(p, v) for p, v in typed.items() if p.where == "query"},
        body or None,
    )


def run(client: ZendeskClient, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Send one operation; a list operation comes back whole, every page under its key."""
    call = prepare(name, arguments)
    op = call.operation
    if op.paging is not Paging.NONE:
        return {str(op.response_key): list(_records(client, call))}
    response = client.request(op.method, call.path, params=call.query or None, json=call.body)
    answer = json_object(response) if response.content.strip() else {}
    return conceal(answer, op.secret_fields)


def conceal(answer: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """``answer`` with each field at a dotted path wrapped in ``Secret``, so no repr, log line
    or JSON dump of it shows the credential; ``reveal()`` gives it back."""
    for dotted in fields:
        *parents, leaf = dotted.split(".")
        node: Any = answer
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(leaf), str):
            node[leaf] = Secret(node[leaf])
    return answer


def records(client: ZendeskClient, name: str, arguments: Mapping[str, Any]) -> Iterator[Record]:
    """Every record a list operation returns, page after page, as the pages arrive.

    Raises:
        InvalidArgumentsError: The operation is not a list, or an argument is wrong.
    """
    call = prepare(name, arguments)
    if call.operation.paging is Paging.NONE:
        raise InvalidArgumentsError(f"{name}: not a list operation; use call()")
    return _records(client, call)


def _records(client: ZendeskClient, call: PreparedCall) -> Iterator[Record]:
    cap = call.operation.result_cap
    if cap is not None:
        yield from search_cap.records(client, call.path, call.query, cap)
        return
    for page in client.paginate(paginator_for(call)):
        yield from page.items


def paginator_for(call: PreparedCall) -> Paginator:
    """The paginator the operation's catalog entry names, set up for this call."""
    op, query = call.operation, dict(call.query)
    key = str(op.response_key)
    if op.paging is Paging.CURSOR or op.paging is Paging.SEARCH:
        return CursorList(call.path, key, params=query)
    if op.paging is Paging.OFFSET:
        return OffsetList(call.path, key, params=query)
    per_page = int(query.pop("per_page", 1000))
    if op.paging is Paging.INCREMENTAL_CURSOR:
        return IncrementalCursorExport(
            call.path,
            key,
            start_time=query.pop("start_time", None),
            cursor=query.pop("cursor", None),
            per_page=per_page,
            params=query,
        )
    field = str(op.timestamp_field)
    return TimeBasedExport(
        call.path,
        key,
        start_time=int(query.pop("start_time")),
        timestamp_of=lambda record: _epoch(record.get(field)),
        per_page=per_page,
        params=query,
    )


def _by_param(op: Operation, arguments: Mapping[str, Any]) -> dict[Param, Any]:
    known = {param.name: param for param in op.params}
    known.update({param.identifier: param for param in op.params})
    found: dict[Param, Any] = {}
    for name, value in arguments.items():
        if name not in known:
            takes = ", ".join(param.identifier for param in op.params) or "no arguments"
            raise InvalidArgumentsError(f"{op.name}: unknown argument {name!r} (takes {takes})")
        if value is not None:
            found[known[name]] = value
    return found


def _typed(op: Operation, param: Param, value: Any) -> Any:
    where = f"{op.name}: {param.name}"
    if param.kind == "integer":
        return _integer(where, value)
    if param.kind == "boolean":
        return _boolean(where, value)
    if param.kind in ("ids", "strings"):
        items = _items(value)
        _check_size(where, param, items)
        return [_integer(where, i) for i in items] if param.kind == "ids" else items
    if param.kind in ("object", "objects"):
        return _records_value(where, param, value)
    return str(value)


def _integer(where: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise InvalidArgumentsError(f"{where} must be a number, got {value!r}")


def _boolean(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise InvalidArgumentsError(f"{where} must be true or false, got {value!r}")


def _items(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _check_size(where: str, param: Param, items: list[Any]) -> None:
    if param.max_items is not None and len(items) > param.max_items:
        raise InvalidArgumentsError(
            f"{where} holds {len(items)} items; Zendesk takes at most {param.max_items}"
        )


def _records_value(where: str, param: Param, value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise InvalidArgumentsError(f"{where} is not valid JSON") from None
    many = param.kind == "objects"
    if many and not isinstance(value, list):
        raise InvalidArgumentsError(f"{where} must be a list of objects")
    rows = value if many else [value]
    if not all(isinstance(row, dict) for row in rows):
        raise InvalidArgumentsError(f"{where} must be {'objects' if many else 'an object'}")
    _check_size(where, param, rows)
    for index, row in enumerate(rows):
        missing = [field for field in param.fields if row.get(field) in (None, "")]
        if missing:
            at = f"{where}[{index}]" if many else where
            raise InvalidArgumentsError(f"{at} is missing required field {missing[0]!r}")
    return value


def _query_value(param: Param, value: Any) -> Any:
    """Lists go comma-separated (``name[]`` ones repeated), booleans as Zendesk spells them,
    objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and not param.name.endswith("[]"):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return value


def _epoch(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(datetime.fromisoformat(str(value)).timestamp())
