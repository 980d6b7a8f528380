"""The one line of an exception a user is shown.

DuckDB's messages run on over several lines (hints, a documentation link); the first names the
problem.
"""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The message's first line, or the exception's type when it has no message."""
    message = str(exc)
    return message.splitlines()[0] if message else type(exc).__name__
