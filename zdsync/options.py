"""``ExtractOptions`` and ``PushOptions`` from plain values, built the same way everywhere.

The CLI passes its option values, the flows their parameters; ``ZDSYNC_*`` environment variables
fill the fields nobody passed. Each value is converted by the type of the field it sets, so a new
field in either options class needs no code here, only its option or parameter:

- a path or date field takes text (a date as ``YYYY-MM-DD``) as well as the value itself;
- a tuple field takes a comma-separated string or a list;
- a ``Literal`` field refuses anything but its choices.

``None`` means "not given": the field takes its environment variable, else its default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from pipelines.zendesk import ExtractOptions
from zdsync.reverse_etl.push import PushOptions

Options = TypeVar("Options")

# Environment variables that set a field when it is not passed.
ENVIRONMENT = {"destination": "ZDSYNC_DESTINATION"}
# The CLI's and the flows' names for fields their options class spells otherwise.
ALIASES: dict[type[Any], dict[str, str]] = {ExtractOptions: {"db": "db_path"}}
# How text becomes a field's type, and what the text should look like.
FROM_TEXT: dict[type[Any], tuple[Callable[[str], Any], str]] = {
    Path: (Path, "a path"),
    date: (date.fromisoformat, "YYYY-MM-DD"),
}


class OptionError(ValueError):
    """A value does not fit its option.

    Attributes:
        field: The option's field name, e.g. ``start_date``.
        problem: What is wrong, e.g. ``must be YYYY-MM-DD, got '2025-13-01'``.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem

    def for_cli(self) -> str:
        """The message with the field spelled as its command-line option."""
        return f"--{self.field.replace('_', '-')} {self.problem}"


def extract_options(environ: Mapping[str, str] | None = None, **values: Any) -> ExtractOptions:
    """The extract's options from plain values; ``db`` names the DuckDB file.

    Args:
        environ: Where ``ZDSYNC_*`` variables are read; the process environment by default.
        **values: Field values (or their aliases), each as its type or as text.

    Raises:
        OptionError: A value does not fit its field.
    """
    return build(ExtractOptions, values, environ)


def push_options(environ: Mapping[str, str] | None = None, **values: Any) -> PushOptions:
    """The push's options from plain values, as ``extract_options`` builds the extract's."""
    return build(PushOptions, values, environ)


def build(
    kind: type[Options], values: Mapping[str, Any], environ: Mapping[str, str] | None
) -> Options:
    """``kind`` from ``values``, converting each by its field's type."""
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
    return kind(**{name: convert(name, hints[name], value) for name, value in given.items()})


def convert(field: str, hint: Any, value: Any) -> Any:
    """``value`` as the type ``hint`` names; raises ``OptionError`` when it does not fit."""
    hint = _without_none(hint)
    if get_origin(hint) is Literal:
        choices = get_args(hint)
        if value not in choices:
            raise OptionError(field, f"must be {_one_of(choices)}, got {value!r}")
        return value
    if get_origin(hint) is tuple:
        items = value.split(",") if isinstance(value, str) else value
        return tuple(item.strip() for item in items if item.strip())
    if hint in FROM_TEXT and isinstance(value, str):
        parse, shape = FROM_TEXT[hint]
        try:
            return parse(value)
        except ValueError:
            raise OptionError(field, f"must be {shape}, got {value!r}") from None
    return value


def _without_none(hint: Any) -> Any:
    if get_origin(hint) in (Union, UnionType):
        rest = [arg for arg in get_args(hint) if arg is not NoneType]
        if len(rest) == 1:
            return rest[0]
    return hint


def _one_of(choices: tuple[Any, ...]) -> str:
    names = [str(choice) for choice in choices]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
