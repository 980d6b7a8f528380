"""Every operation, by name, and the operation a request's method and path belong to."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from zdsync.catalog import (
    account_config,
    exports,
    identities,
    organizations,
    satisfaction_ratings,
    search,
    tickets,
    triggers,
    user_fields,
    users,
    zis,
)
from zdsync.catalog.model import Operation

OPERATIONS: tuple[Operation, ...] = (
    *tickets.OPERATIONS,
    *users.OPERATIONS,
    *identities.OPERATIONS,
    *organizations.OPERATIONS,
    *search.OPERATIONS,
    *triggers.OPERATIONS,
    *user_fields.OPERATIONS,
    *zis.OPERATIONS,
    *exports.OPERATIONS,
    *account_config.OPERATIONS,
    *satisfaction_ratings.OPERATIONS,
)
BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS}
if len(BY_NAME) != len(OPERATIONS):
    raise RuntimeError("two catalog operations share a name")

# Per method, most specific first: a literal path wins over a template that also matches.
_BY_METHOD: dict[str, list[Operation]] = defaultdict(list)
for _op in sorted(OPERATIONS, key=lambda op: op.specificity):
    _BY_METHOD[_op.method].append(_op)


class UnknownOperationError(KeyError):
    """No catalog operation has that name."""

    def __str__(self) -> str:
        return str(self.args[0])


def operation(name: str) -> Operation:
    """The operation called ``name``.

    Raises:
        UnknownOperationError: The catalog has none by that name.
    """
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownOperationError(f"no Zendesk operation named {name!r}") from None


def match(method: str, path: str) -> tuple[Operation, re.Match[str]] | None:
    """The operation serving ``method`` on ``path`` (``.json`` optional), and its path args."""
    for candidate in _BY_METHOD.get(method.upper(), ()):
        found = candidate.pattern.fullmatch(path)
        if found:
            return candidate, found
    return None


# The client classifies every request it sends; most repeat a handful of paths.
@lru_cache(maxsize=4096)
def find(method: str, path: str) -> Operation | None:
    """The operation serving ``method`` on ``path``, or None for a path the catalog lacks."""
    found = match(method, path)
    return found[0] if found else None
