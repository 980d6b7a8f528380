"""Request tallies group by endpoint template, status and Zendesk error code."""

from __future__ import annotations

from collections import Counter

import pytest

from zdsync.client.stats import RequestStats, endpoint_of


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/api/v2/users/me.json", "/api/v2/users/me"),
        ("/api/v2/users/7/identities/12.json", "/api/v2/users/{id}/identities/{id}"),
        ("/api/v2/job_statuses/" + "0f" * 16, "/api/v2/job_statuses/{id}"),
        ("/api/v2/job_statuses/V3-" + "ab" * 16 + ".json", "/api/v2/job_statuses/{id}"),
        ("/api/v2/users/7x", "/api/v2/users/7x"),
        ("/api/v2/incremental/tickets/cursor", "/api/v2/incremental/tickets/cursor"),
        (
            "/api/v2/users/{user_id}/compliance_deletion_statuses",
            "/api/v2/users/{id}/compliance_deletion_statuses",
        ),
    ],
)
def test_ids_collapse_into_one_endpoint(path: str, endpoint: str) -> None:
    assert endpoint_of(path) == endpoint


def test_requests_are_tallied_by_method_endpoint_and_status() -> None:
    stats = RequestStats()
    stats.record("GET", "/api/v2/users/1.json", 200)
    stats.record("GET", "/api/v2/users/2", 200)
    stats.record("GET", "/api/v2/users/3", 404)
    stats.record("POST", "/api/v2/users/create_or_update_many", None)

    assert stats.counts == Counter(
        {
            ("GET", "/api/v2/users/{id}", "200"): 2,
            ("GET", "/api/v2/users/{id}", "404"): 1,
            ("POST", "/api/v2/users/create_or_update_many", "error"): 1,
        }
    )
    assert stats.total == 4
    assert stats.count(status=200) == 2
    assert stats.count(status="error") == 1
    assert stats.count(endpoint="/api/v2/users/{id}") == 3
    assert stats.count(status=404, endpoint="/api/v2/users/{id}") == 1
    assert stats.count(status=404, endpoint="/api/v2/users/create_or_update_many") == 0
    assert stats.count() == 4


def test_error_codes_are_counted_apart_from_statuses() -> None:
    stats = RequestStats()
    for path in ("/api/v2/users/create_or_update_many", "/api/v2/users/update_many.json"):
        stats.record_code(path, "TooManyJobs")
    stats.record_code("/api/v2/users/create_or_update_many", "TooManyJobs")
    stats.record_code("/api/v2/users/9", "RecordNotFound")

    assert stats.count_code("TooManyJobs") == 3
    assert stats.count_code("TooManyJobs", endpoint="/api/v2/users/update_many") == 1
    assert stats.count_code("RecordNotFound", endpoint="/api/v2/users/{id}") == 1
    assert stats.count_code("RecordNotFound", endpoint="/api/v2/users/update_many") == 0
    assert stats.count_code("InvalidValue") == 0


def test_retries_are_counted_one_each() -> None:
    stats = RequestStats()
    for _ in range(3):
        stats.record_retry()
    assert stats.retries == 3
