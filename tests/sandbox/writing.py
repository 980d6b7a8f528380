"""Helpers for the write tests: requests checked against the OpenAPI file, jobs, exports."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.oas import operation_path, validate_response
from zdsync.sandbox.config import ADMIN_EMAIL, API_TOKEN
from zdsync.sandbox.server import Sandbox

EXPORTS = {
    "tickets": "/api/v2/incremental/tickets/cursor",
    "users": "/api/v2/incremental/users/cursor",
    "organizations": "/api/v2/incremental/organizations",
}


def send(
    sandbox: Sandbox,
    method: str,
    path: str,
    body: object = None,
    *,
    email: str = ADMIN_EMAIL,
    query: dict[str, Any] | None = None,
) -> httpx.Response:
    """One request as ``email``; a 2xx answer with a body must fit the file's schema."""
    response = httpx.request(
        method,
        sandbox.base_url + path,
        json=body,
        params=query,
        auth=(f"{email}/token", API_TOKEN),
    )
    if response.is_success and response.content:
        template = operation_path(method, path)
        validate_response(template, method.lower(), str(response.status_code), response.json())
    return response


def finished(sandbox: Sandbox, reply: httpx.Response) -> dict[str, Any]:
    """The job a reply queued, once it has finished (the store's clock is moved past it)."""
    assert reply.status_code == 200, reply.text
    job_id = reply.json()["job_status"]["id"]
    sandbox.store.advance_clock(sandbox.config.job_latency_seconds + 1)
    status: dict[str, Any] = send(sandbox, "GET", f"/api/v2/job_statuses/{job_id}").json()
    job: dict[str, Any] = status["job_status"]
    assert job["status"] == "completed", status
    return job


def exported(sandbox: Sandbox, kind: str) -> dict[int, dict[str, Any]]:
    """Every record of ``kind`` the incremental export serves from the start, by id: what an
    extract reads. The clock moves past the export's horizon first, so recent changes show."""
    sandbox.store.advance_clock(sandbox.config.horizon_seconds + 1)
    found: dict[int, dict[str, Any]] = {}
    url, params = sandbox.base_url + EXPORTS[kind], {"start_time": 0}
    auth = (f"{ADMIN_EMAIL}/token", API_TOKEN)
    while True:
        page = httpx.get(url, params=params, auth=auth).json()
        found.update({record["id"]: record for record in page[kind]})
        if page["end_of_stream"]:
            return found
        url, params = page.get("after_url") or page["next_page"], {}
