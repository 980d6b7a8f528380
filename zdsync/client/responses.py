"""Reading responses: bodies as JSON objects, errors as the right class with a one-line message."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson

from zdsync.client import errors


def created(response: httpx.Response) -> bool:
    """Whether the request made a new record: 201 Created, where an update answers 200."""
    return response.status_code == httpx.codes.CREATED


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    date = parsedate_to_datetime(response.headers["date"]) if "date" in response.headers else None
    if date is None:
        return None
    return max(0.0, (when - date).total_seconds())


def _body_fields(response: httpx.Response) -> tuple[str | None, str]:
    """Zendesk's ``error`` code and a short description, from JSON or plain-text bodies."""
    try:
        body: Any = response.json()
    except ValueError:
        return None, response.text.strip()[:200]
    if not isinstance(body, dict):
        return None, str(body)[:200]
    error = body.get("error")
    if isinstance(error, dict):  # {"error": {"title": ..., "message": ...}}
        return str(error.get("title")), str(error.get("message", ""))[:200]
    if isinstance(body.get("errors"), list) and body["errors"]:  # InvalidPaginationDepth, ZIS
        first = body["errors"][0]
        return str(first.get("code")), str(first.get("title") or first.get("detail", ""))[:200]
    description = body.get("description") or body.get("error_description") or ""
    details = body.get("details")
    if details:
        description = f"{description} {_flatten_details(details)}".strip()
    return (str(error) if error else None), str(description)[:300]


def _flatten_details(details: Any) -> str:
    if not isinstance(details, dict):
        return str(details)
    parts = []
    for field, problems in details.items():
        for problem in problems if isinstance(problems, list) else [problems]:
            text = problem.get("description") if isinstance(problem, dict) else problem
            parts.append(f"{field}: {text}")
    return "; ".join(parts)


def error_for(method: str, path: str, response: httpx.Response) -> errors.ZendeskError:
    """The error class that tells the caller what to do with this response."""
    status = response.status_code
    code, description = _body_fields(response)
    where = f"{method} {path}"
    summary = " ".join(part for part in (str(status), code and f"{code}:", description) if part)
    # Bodies can span lines (a proxy's HTML error page); the message stays on one.
    summary = " ".join(summary.split())
    message = f"{summary} ({where})"
    retry_after = retry_after_seconds(response)
    kwargs: dict[str, Any] = {"status": status, "code": code, "retry_after": retry_after}
    if code == "TooManyJobs":
        return errors.TooManyJobsError(message, **kwargs)
    if status == 429:
        return errors.RateLimitedError(message, **kwargs)
    if status == 401:
        return errors.AuthenticationError(f"Zendesk refused the credentials: {message}", **kwargs)
    if status == 403:
        return errors.PermissionDeniedError(f"the credentials lack permission: {message}", **kwargs)
    if status == 404:
        return errors.NotFoundError(message, **kwargs)
    if status in (409,) or status >= 500:
        return errors.ServerError(message, **kwargs)
    return errors.InvalidRequestError(message, **kwargs)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object; anything else is an ``InvalidRequestError``."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise errors.InvalidRequestError(
            f"expected JSON from {response.request.url.path}, got "
            f"{response.headers.get('content-type', 'no content type')}",
            status=response.status_code,
        ) from None
    if not isinstance(body, dict):
        raise errors.InvalidRequestError(
            f"expected a JSON object from {response.request.url.path}",
            status=response.status_code,
        )
    return body
