"""Every error the Zendesk client raises, grouped by what the caller should do.

Callers decide on the class, never on a status code:

``FatalError``
    Stop the run and tell the user. Retrying cannot help.

    * ``ConfigurationError``: settings missing or malformed (no credentials, a bad base URL).
    * ``AuthenticationError``: 401, or an OAuth refresh the server refused.
    * ``PermissionDeniedError``: 403 (not an admin, a missing OAuth scope, bulk imports disabled).
    * ``InvalidRequestError``: 400 and 422; the request itself is wrong.
    * ``InvalidArgumentsError``: a catalog call's arguments are wrong (missing, mistyped, too
      many items); caught before anything is sent.
    * ``UnsafeURLError``: a pagination URL points at another origin; it is never followed with
      credentials.
    * ``PaginationError``: the server's cursor or ``end_time`` does not advance, so following it
      would loop forever.

``RetryLaterError``
    Transient. The client has already retried with backoff before raising one of these, so the
    caller should end this run cleanly and let the next scheduled run pick up from saved state.
    Never wrap the client in a retry loop of your own.

    * ``RateLimitedError``: 429 after every retry.
    * ``TooManyJobsError``: the account's cap on queued background jobs is reached.
    * ``ServerError``: 5xx or 409 after every retry.
    * ``ConnectionFailedError``: connection refused, reset or timed out after every retry.

``SkipError``
    The record is gone; skip it and go on.

    * ``NotFoundError``: 404 on a record.

Messages are one line and never contain credentials: they carry the method, the path (without
the query string) and the ``error``/``description`` Zendesk returned.
"""

from __future__ import annotations


class ZendeskError(Exception):
    """Base of every error the client raises.

    Attributes:
        status: The HTTP status, or None when no response arrived.
        code: Zendesk's ``error`` field, when the body had one.
        retry_after: Seconds the server asked us to wait, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after


class FatalError(ZendeskError):
    """Stop: retrying cannot help."""


class ConfigurationError(FatalError):
    """Settings are missing or malformed."""


class AuthenticationError(FatalError):
    """Credentials were refused (401) or an OAuth refresh failed."""


class PermissionDeniedError(FatalError):
    """The credentials are valid but not allowed to do this (403)."""


class InvalidRequestError(FatalError):
    """The server rejected the request as malformed (400, 422)."""


class InvalidArgumentsError(FatalError):
    """A catalog call's arguments are wrong; no request was sent."""


class UnsafeURLError(FatalError):
    """A URL from a response points outside the configured origin."""


class PaginationError(FatalError):
    """The server's pagination state does not advance."""


class RetryLaterError(ZendeskError):
    """Transient: the client retried and gave up; the next run will continue."""


class RateLimitedError(RetryLaterError):
    """429 after every retry."""


class TooManyJobsError(RetryLaterError):
    """The account has as many queued or running background jobs as it may."""


class ServerError(RetryLaterError):
    """5xx or 409 after every retry."""


class ConnectionFailedError(RetryLaterError):
    """No usable response arrived after every retry."""


class SkipError(ZendeskError):
    """The record is gone; skip it."""


class NotFoundError(SkipError):
    """404 on a record."""
