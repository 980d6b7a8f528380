"""``ExtractOptions`` and ``PushOptions`` from the CLI's options and the flows' parameters.

Typer (for the CLI) and Prefect (for a flow's parameters) already turn text into each value's
type and refuse a value its ``Literal`` does not name. What is left, the same for both:

- ``None`` means "not given": the field takes its ``ZDSYNC_*`` environment variable, else keeps
  its default;
- a tuple field (``resources``) takes comma-separated text, as the command line gives it, or a
  list, as a flow parameter is;
- the CLI and the flows say ``db`` where ``ExtractOptions`` says ``db_path``.

A new field in either options class needs no code here, only its option or parameter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import NoneType, UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from pipelines.zendesk import ExtractOptions
from zdsync.reverse_etl.push import PushOptions

Options = TypeVar("Options")

# Environment variables that set a field when it is not passed.
ENVIRONMENT = {"destination": "ZDSYNC_DESTINATION"}
# The CLI's and the flows' names for fields their options class spells otherwise.
ALIASES: dict[type[Any], dict[str, str]] = {ExtractOptions: {"db": "db_path"}}


def extract_options(environ: Mapping[str, str] | None = None, **values: Any) -> ExtractOptions:
    """The extract's options from the CLI's or a flow's values; ``db`` names the DuckDB file.

    Args:
        environ: Where ``ZDSYNC_*`` variables are read; the process environment by default.
        **values: Field values (or their aliases), None for those not given.
    """
    return build(ExtractOptions, values, environ)


def push_options(environ: Mapping[str, str] | None = None, **values: Any) -> PushOptions:
    """The push's options, built as ``extract_options`` builds the extract's."""
    return build(PushOptions, values, environ)


def build(
    kind: type[Options], values: Mapping[str, Any], environ: Mapping[str, str] | None
) -> Options:
    """``kind`` from ``values``; raises ``TypeError`` for a field ``kind`` does not have."""
    aliases = ALIASES.get(kind, {})
    given = {aliases.get(name, name): value for name, value in values.items() if value is not None}
    hints = get_type_hints(kind)
    unknown = sorted(given.keys() - hints.keys())
    if unknown:
        raise TypeError(f"{kind.__name__} has no field {', '.join(unknown)}")
    variables = os.environ if environ is None else environ
    for field, variable in ENVIRONMENT.items():
        if field in hints and field not in given and variables.get(variable):
            given[field] = variables[variable]
    return kind(**{name: _convert(hints[name], value) for name, value in given.items()})


def _convert(hint: Any, value: Any) -> Any:
    if get_origin(_without_none(hint)) is tuple:
        items = value.split(",") if isinstance(value, str) else value
        return tuple(item.strip() for item in items if item.strip())
    return value


def _without_none(hint: Any) -> Any:
    if get_origin(hint) in (Union, UnionType):
        rest = [arg for arg in get_args(hint) if arg is not NoneType]
        if len(rest) == 1:
            return rest[0]
    return hint
