"""Errors that end a whole run, named by what the caller should do, and the line a user is shown.

A run (an extract, a push, the SQL models) that cannot finish raises a ``RunError``. Its message
is one line, safe to print: no credential, no traceback. Every one is of two kinds:

``FixAndRunAgainError``
    Something on this side must change before a run can succeed: the settings or credentials
    (a 401, a 403), the input (a missing file, an unknown resource, a value that does not fit its
    column), the database file (missing, or held by another process). Running again unchanged
    fails the same way.

``RunAgainLaterError``
    Transient: Zendesk stayed rate limited or unavailable, or stopped answering, after the
    client's own retries (it raised a ``RetryLaterError``). What was committed stays committed,
    so the next run, a scheduled one included, resumes from the saved positions. Do not retry
    in a loop of your own: the client already has.

Each command also has its own name, which catches everything it raises: ``ExtractError``,
``PushError`` (``InputError``, ``BulkImportsDisabledError`` and ``BulkWriteNotAllowedError`` are
push errors to fix) and ``TransformError`` (always to fix: the models run on a local file).

The client's own errors (``zdsync.client.errors``) are the same two kinds at the level of one
request (``FatalError``, ``RetryLaterError``), plus ``SkipError`` for a record that is gone.
"""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The message's first line, or the exception's type when it has no message.

    DuckDB's messages run on over several lines (hints, a documentation link); the first names
    the problem.
    """
    message = str(exc)
    return message.splitlines()[0] if message else type(exc).__name__


class RunError(Exception):
    """A run stopped before its end; the message is one line, safe to print."""


class FixAndRunAgainError(RunError):
    """Settings, credentials, input or the database must change before a run can succeed."""


class RunAgainLaterError(RunError):
    """Zendesk stayed unavailable past the client's retries; the next run resumes."""


class ExtractError(RunError):
    """``run_extract`` stopped.

    ``ExtractError(message)`` is an ``ExtractFixAndRunAgainError``, and
    ``ExtractError(message, transient=True)`` an ``ExtractRunAgainLaterError``.
    """

    def __new__(cls, message: str = "", *, transient: bool = False) -> ExtractError:
        kind: type[ExtractError] = cls
        if cls is ExtractError:
            kind = ExtractRunAgainLaterError if transient else ExtractFixAndRunAgainError
        return Exception.__new__(kind, message)

    def __init__(self, message: str = "", *, transient: bool = False) -> None:
        super().__init__(message)


class ExtractFixAndRunAgainError(ExtractError, FixAndRunAgainError):
    """The extract cannot run as configured."""


class ExtractRunAgainLaterError(ExtractError, RunAgainLaterError):
    """The extract stopped on a transient failure; the next one resumes from the saved positions."""


class PushError(RunError):
    """``push_users`` stopped."""


class PushFixAndRunAgainError(PushError, FixAndRunAgainError):
    """The push cannot run as configured."""


class PushRunAgainLaterError(PushError, RunAgainLaterError):
    """The push stopped on a transient failure; rows already sent are in the sync log."""


class InputError(PushFixAndRunAgainError):
    """The input cannot be read at all (a missing file, an unknown format, a bad query)."""


class BulkImportsDisabledError(PushFixAndRunAgainError):
    """The account refuses bulk user imports (403): enable them, or push one user at a time."""


class BulkWriteNotAllowedError(PushFixAndRunAgainError):
    """The credentials' user may not create or update users in bulk (403)."""


class TransformError(FixAndRunAgainError):
    """A model could not run."""
