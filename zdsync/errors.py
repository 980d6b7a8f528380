"""Errors that end a whole run, and the one line of an exception a user is shown.

Each run-level error's message is one line, safe to print. DuckDB's messages run on over several
lines (hints, a documentation link); the first names the problem.
"""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The message's first line, or the exception's type when it has no message."""
    message = str(exc)
    return message.splitlines()[0] if message else type(exc).__name__


class ExtractError(Exception):
    """A run that could not finish; the message is one line, safe to print.

    ``transient`` says whether trying again later can help (429s, 5xx, a dropped connection,
    once the client's own retries are spent), as opposed to bad credentials or settings.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class PushError(Exception):
    """The push could not run; the message is one line, safe to print."""


class TransformError(Exception):
    """A model could not run; the message is one line."""
