"""Responses into errors: the class says what to do, the message is one line quoting Zendesk."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from zdsync.client import errors
from zdsync.client.responses import error_for, json_object, retry_after_seconds

URL = "https://acme.zendesk.com/api/v2/users/7.json?include=identities"


def response(
    status: int, body: Any = None, *, text: str | None = None, **headers: str
) -> httpx.Response:
    request = httpx.Request("GET", URL)
    if text is not None:
        return httpx.Response(status, text=text, headers=headers, request=request)
    if body is None:
        return httpx.Response(status, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


def error(
    status: int, body: Any = None, *, text: str | None = None, **headers: str
) -> errors.ZendeskError:
    return error_for("GET", "/api/v2/users/7.json", response(status, body, text=text, **headers))


WHERE = "(GET /api/v2/users/7.json)"


@pytest.mark.parametrize(
    ("status", "kind", "prefix"),
    [
        (400, errors.InvalidRequestError, ""),
        (401, errors.AuthenticationError, "Zendesk refused the credentials: "),
        (403, errors.PermissionDeniedError, "the credentials lack permission: "),
        (404, errors.NotFoundError, ""),
        (405, errors.InvalidRequestError, ""),
        (409, errors.ServerError, ""),
        (410, errors.InvalidRequestError, ""),
        (422, errors.InvalidRequestError, ""),
        (429, errors.RateLimitedError, ""),
        (499, errors.InvalidRequestError, ""),
        (500, errors.ServerError, ""),
        (501, errors.ServerError, ""),
        (503, errors.ServerError, ""),
    ],
)
def test_each_status_becomes_the_error_that_says_what_to_do(
    status: int, kind: type[errors.ZendeskError], prefix: str
) -> None:
    found = error(status, {"error": "Code", "description": "What happened"})
    assert type(found) is kind
    assert str(found) == f"{prefix}{status} Code: What happened {WHERE}"
    assert (found.status, found.code, found.retry_after) == (status, "Code", None)


def test_too_many_jobs_is_told_apart_from_an_ordinary_429() -> None:
    found = error(
        429, {"error": "TooManyJobs", "description": "30 jobs queued"}, **{"Retry-After": "9"}
    )
    assert type(found) is errors.TooManyJobsError
    assert str(found) == f"429 TooManyJobs: 30 jobs queued {WHERE}"
    assert (found.status, found.code, found.retry_after) == (429, "TooManyJobs", 9.0)


@pytest.mark.parametrize(
    ("body", "summary"),
    [
        # Business errors.
        ({"error": "RecordNotFound", "description": "Not found"}, "RecordNotFound: Not found"),
        # OAuth errors.
        (
            {"error": "invalid_token", "error_description": "The access token expired."},
            "invalid_token: The access token expired.",
        ),
        # A code alone.
        ({"error": "Couldn't authenticate you"}, "Couldn't authenticate you:"),
        # Parameter errors nest a title and a message.
        (
            {"error": {"title": "Invalid attribute", "message": "page.size must be an integer"}},
            "Invalid attribute: page.size must be an integer",
        ),
        ({"error": {"title": "Invalid attribute"}}, "Invalid attribute:"),
        # Offset pagination past its depth lists its errors.
        (
            {"errors": [{"code": "InvalidPaginationDepth", "title": "Limited to page 100"}, {}]},
            "InvalidPaginationDepth: Limited to page 100",
        ),
        ({"errors": [{"code": "InvalidPaginationDepth"}]}, "InvalidPaginationDepth:"),
        ({"errors": [], "description": "Nothing listed"}, "Nothing listed"),
        ({}, ""),
        ([1, 2], "[1, 2]"),
    ],
)
def test_every_zendesk_error_body_shape_is_quoted(body: Any, summary: str) -> None:
    assert str(error(400, body)) == " ".join(part for part in ("400", summary, WHERE) if part)


def test_validation_details_name_each_field_and_problem() -> None:
    body = {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {
            "email": [
                {"description": "Email: x@y.com is already being used", "error": "DuplicateValue"},
                {"type": "invalid", "description": "Email is not properly formatted"},
            ],
            "name": {"type": "blank", "description": "can't be blank"},
            "phone": ["is too short"],
        },
    }
    assert str(error(422, body)) == (
        "422 RecordInvalid: Record validation errors email: Email: x@y.com is already being used; "
        "email: Email is not properly formatted; name: can't be blank; phone: is too short "
        f"{WHERE}"
    )


def test_details_that_are_not_a_mapping_are_quoted_whole() -> None:
    found = error(422, {"error": "RecordInvalid", "details": "locked by an agent"})
    assert str(found) == f"422 RecordInvalid: locked by an agent {WHERE}"


def test_a_plain_text_body_is_quoted_without_a_code() -> None:
    found = error(429, text="  Number of allowed API requests per minute exceeded\n")
    assert str(found) == f"429 Number of allowed API requests per minute exceeded {WHERE}"
    assert found.code is None


def test_an_empty_body_leaves_the_status_alone() -> None:
    assert str(error(502)) == f"502 {WHERE}"
    assert str(error(502, text="")) == f"502 {WHERE}"


def test_a_proxys_html_error_page_becomes_one_line() -> None:
    page = (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
        "<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    found = error(502, text=page)
    assert "\n" not in str(found)
    assert "\r" not in str(found)
    assert str(found) == (
        "502 <html> <head><title>502 Bad Gateway</title></head> <body> "
        f"<center><h1>502 Bad Gateway</h1></center> </body> </html> {WHERE}"
    )


def test_a_multi_line_description_becomes_one_line() -> None:
    found = error(422, {"error": "InvalidValue", "description": "Bad value.\nSee the docs."})
    assert str(found) == f"422 InvalidValue: Bad value. See the docs. {WHERE}"


LONG = "x" * 500


@pytest.mark.parametrize(
    ("body", "text", "quoted"),
    [
        (None, LONG, "x" * 200),
        ([LONG], None, str([LONG])[:200]),
        ({"error": {"title": "T", "message": LONG}}, None, "T: " + "x" * 200),
        ({"errors": [{"code": "C", "title": LONG}]}, None, "C: " + "x" * 200),
        ({"error": "E", "description": LONG}, None, "E: " + "x" * 300),
    ],
    ids=["text", "json-list", "nested-error", "errors-list", "description"],
)
def test_a_long_body_is_cut_to_keep_the_message_short(
    body: Any, text: str | None, quoted: str
) -> None:
    assert str(error(400, body, text=text)) == f"400 {quoted} {WHERE}"


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": " 2.5 "}, 2.5),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "-3"}, 0.0),
        (
            {
                "Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT",
                "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
            },
            30.0,
        ),
        (
            {
                "Retry-After": "Wed, 21 Oct 2026 07:27:00 GMT",
                "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
            },
            0.0,
        ),
        # An HTTP date with nothing to measure it against, or no date at all.
        ({"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT"}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": ""}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert retry_after_seconds(response(503, **headers)) == seconds
    assert error(503, **headers).retry_after == seconds


def test_a_json_object_body_is_returned_as_a_dict() -> None:
    assert json_object(response(200, {"user": {"id": 7}})) == {"user": {"id": 7}}


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            response(200, text="<html>Sign in</html>", **{"Content-Type": "text/html"}),
            "expected JSON from /api/v2/users/7.json, got text/html",
        ),
        (
            httpx.Response(200, content=b"{oops", request=httpx.Request("GET", URL)),
            "expected JSON from /api/v2/users/7.json, got no content type",
        ),
        (response(200, [{"id": 7}]), "expected a JSON object from /api/v2/users/7.json"),
        (response(201, "ok"), "expected a JSON object from /api/v2/users/7.json"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_an_invalid_request(
    reply: httpx.Response, message: str
) -> None:
    with pytest.raises(errors.InvalidRequestError) as refused:
        json_object(reply)
    assert str(refused.value) == message
    assert refused.value.status == reply.status_code
