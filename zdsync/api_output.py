"""What ``zdsync api`` prints: the operations list, answers as JSON or a table, a request.

Everything here is text built from data; nothing prints or talks HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx
import orjson
from rich.table import Table

from zdsync.catalog import Operation, Param
from zdsync.client.operations import PreparedCall
from zdsync.client.secrets import Secret

# What a password in a request is shown as.
REDACTED = "********"
# A table of records shows this many of their plain fields unless told which.
DEFAULT_COLUMNS = 8


def param_summary(op: Operation) -> str:
    """One line: each argument as ``name:kind``, ``*`` when required, and any one-of rule."""
    words = [f"{p.name}:{p.kind}{'*' if p.required else ''}" for p in op.params]
    if op.one_of:
        words.append(f"(one of {', '.join(op.one_of)})")
    return " ".join(words) or "-"


def traits(op: Operation) -> str:
    found = [
        ("paged", op.paging.value != "none"),
        ("bulk job", op.bulk_job),
        ("destructive", op.destructive),
    ]
    return ", ".join(word for word, holds in found if holds)


def operation_rows(operations: Iterable[Operation]) -> list[tuple[str, str, str, str, str]]:
    return [(op.name, op.method, op.path, param_summary(op), traits(op)) for op in operations]


def operations_text(operations: Iterable[Operation]) -> str:
    """The list as aligned plain lines, one per operation, for reading and for grep."""
    rows = operation_rows(operations)
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for name, method, path, params, flags in rows:
        line = f"{name:<{widths[0]}}  {method:<{widths[1]}}  {path:<{widths[2]}}  {params}"
        lines.append(f"{line}  [{flags}]" if flags else line)
    return "\n".join(lines)


def operations_table(operations: Iterable[Operation]) -> Table:
    table = Table("operation", "method", "path", "arguments (* required)", "", box=None)
    # Names are what the user copies: never wrapped or cut.
    table.columns[0].no_wrap = True
    for row in operation_rows(operations):
        table.add_row(*row)
    return table


def request_text(origin: str, call: PreparedCall) -> str:
    """The request as it would go out: method, URL and JSON body. Headers, and so
    credentials, are never part of it."""
    url = httpx.URL(origin + call.path)
    if call.query:
        url = url.copy_merge_params(call.query)
    lines = [f"{call.operation.method} {url}"]
    if call.body is not None:
        secret = {p.name for p in call.operation.params if p.secret and p.where == "body"}
        shown = {key: REDACTED if key in secret else value for key, value in call.body.items()}
        lines.append(json_text(shown))
    return "\n".join(lines)


def json_text(value: Any) -> str:
    """Indented JSON; a ``Secret`` in it is written as its mask, never its value."""
    return orjson.dumps(
        value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=_masked
    ).decode()


def _masked(value: Any) -> str:
    if isinstance(value, Secret):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def answer_table(answer: dict[str, Any], key: str | None, columns: list[str] | None) -> Table:
    """Records as rows (a list answer), or one record as field and value."""
    value = answer.get(key) if key and key in answer else answer
    if isinstance(value, list) and all(isinstance(row, dict) for row in value):
        return _records_table(value, columns)
    if isinstance(value, dict):
        return _record_table(value, columns)
    return _record_table({key or "value": value}, None)


def _records_table(rows: list[dict[str, Any]], columns: list[str] | None) -> Table:
    names = columns or _plain_fields(rows)[:DEFAULT_COLUMNS]
    table = Table(*names)
    for row in rows:
        table.add_row(*(_cell(row.get(name)) for name in names))
    return table


def _record_table(record: dict[str, Any], columns: list[str] | None) -> Table:
    table = Table("field", "value")
    for name in columns or list(record):
        table.add_row(name, _cell(record.get(name)))
    return table


def _plain_fields(rows: list[dict[str, Any]]) -> list[str]:
    """Fields holding a plain value in any row, in the order they first appear."""
    seen: dict[str, None] = {}
    for row in rows:
        for name, value in row.items():
            if not isinstance(value, dict | list):
                seen.setdefault(name)
    return list(seen)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value, default=_masked).decode()
    return str(value)


def param_named(op: Operation, name: str) -> Param | None:
    """The argument ``name`` calls, by Zendesk's spelling or its identifier."""
    return next((p for p in op.params if name in (p.name, p.identifier)), None)
