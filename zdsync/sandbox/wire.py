"""Request and reply values passed between the HTTP server and the route handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    user: dict[str, Any] | None = None
    # Every query pair in order, repeats kept: ``role[]=agent&role[]=admin`` is two.
    pairs: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None

    def values(self, name: str) -> list[str]:
        """Every value given for a query parameter, in order."""
        return [value for key, value in self.pairs if key == name]


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    # Close the socket after writing only part of the reply (a dropped connection).
    drop: bool = False


def json_reply(status: int, payload: Any, **headers: str) -> Reply:
    return Reply(status, orjson.dumps(payload), dict(headers))


def error_reply(status: int, error: str, description: str, **headers: str) -> Reply:
    return json_reply(status, {"error": error, "description": description}, **headers)


def text_reply(status: int, text: str, **headers: str) -> Reply:
    return Reply(status, text.encode(), dict(headers), "text/plain; charset=utf-8")


NOT_FOUND = ("RecordNotFound", "Not found")
FORBIDDEN = (
    "Forbidden",
    "You do not have access to this page. Please contact the account owner of this help desk "
    "for further help.",
)
