"""Zendesk's search query syntax: a query's text read into its terms.

``zdsync.sandbox.query`` says what the terms mean and evaluates them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zdsync.sandbox.wire import Reply, json_reply

_KEYWORD = re.compile(r"(\w+)(<=|>=|:|<|>)")


class QueryError(ValueError):
    """A query the search language cannot read; the message says which part."""

    def reply(self) -> Reply:
        """Zendesk's answer: the shape its OpenAPI file gives for an invalid ``type:``."""
        return json_reply(400, {"errors": [{"code": "QueryError", "title": str(self)}]})


@dataclass(frozen=True)
class Term:
    """One term of a query: ``keyword`` None for free text."""

    keyword: str | None
    op: str
    value: str
    negated: bool = False

    def __str__(self) -> str:
        text = self.value if self.keyword is None else f"{self.keyword}{self.op}{self.value}"
        return f"-{text}" if self.negated else text


def parse(text: str) -> list[Term]:
    """The terms of a query, in order.

    Raises:
        QueryError: An unbalanced quote, or a negation, keyword or phrase with nothing in it.
    """
    terms: list[Term] = []
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return terms
        start = at
        negated = text[at] == "-"
        at += negated
        keyword, op = None, ":"
        found = _KEYWORD.match(text, at)
        if found:
            keyword, op, at = found[1].lower(), found[2], found.end()
        value, at = _value(text, at)
        if not value.strip():
            raise QueryError(f"Invalid search term {text[start:at] or text[start:]!r}")
        terms.append(Term(keyword, op, value, negated))


def _value(text: str, at: int) -> tuple[str, int]:
    if text.startswith('"', at):
        end = text.find('"', at + 1)
        if end < 0:
            raise QueryError(f"Unbalanced quote in {text[at:]!r}")
        if end + 1 < len(text) and not text[end + 1].isspace():
            raise QueryError(f"Unbalanced quote in {text[at:]!r}")
        return text[at + 1 : end], end + 1
    end = at
    while end < len(text) and not text[end].isspace():
        end += 1
    if '"' in text[at:end]:
        raise QueryError(f"Unbalanced quote in {text[at:end]!r}")
    return text[at:end], end
