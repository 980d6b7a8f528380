"""The catalog is whole and consistent, and the parts that read it agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zdsync import catalog
from zdsync.catalog import Paging
from zdsync.client.buckets import BUCKETS
from zdsync.client.ratelimit import RateLimiter
from zdsync.client.settings import RateLimitSettings
from zdsync.sandbox import lists
from zdsync.sandbox.routes import ROUTES

SEEDS = Path(__file__).resolve().parents[2].parent / "shared/seeds"
# Seed 004 names these as other paths of List Users and Count Users; Zendesk's OpenAPI file has
# neither, so the catalog leaves them out rather than hold operations it cannot check.
ALTERNATE_PATHS = {
    "GET /api/v2/groups/{group_id}/users",
    "GET /api/v2/organizations/{organization_id}/users",
    "GET /api/v2/groups/{group_id}/users/count",
    "GET /api/v2/organizations/{organization_id}/users/count",
}
_ENDPOINT_LINE = re.compile(r"^\s*(?:•\s*)?(GET|POST|PUT|PATCH|DELETE) (/api/[^\s?]+)", re.M)


def test_names_are_group_dot_action_and_unique() -> None:
    names = [op.name for op in catalog.OPERATIONS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", name) for name in names)


def test_method_and_path_pairs_are_unique() -> None:
    pairs = [(op.method, op.path) for op in catalog.OPERATIONS]
    assert len(pairs) == len(set(pairs))


def test_every_rate_limit_is_a_client_bucket() -> None:
    buckets = {bucket.name for bucket in BUCKETS}
    spent = {bucket for op in catalog.OPERATIONS for bucket in op.buckets}
    assert spent <= buckets
    # Every bucket but the account's is spent by some operation, or the table holds a dead row.
    assert buckets - spent <= {"account"}


def test_lists_name_their_key_and_exports_their_clock() -> None:
    for op in catalog.OPERATIONS:
        if op.paging is not Paging.NONE:
            assert op.response_key, op.name
        assert (op.paging is Paging.INCREMENTAL_TIME) == (op.timestamp_field is not None), op.name
        if op.bulk_job:
            assert op.response_key == "job_status", op.name


def test_seed_002_lists_26_operations() -> None:
    # Its own count: "26 operations on tickets, users and organizations".
    assert sum("002" in op.sources for op in catalog.OPERATIONS) == 26


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seeds are not beside the repository")
def test_every_endpoint_the_seeds_name_is_in_the_catalog() -> None:
    named = {
        f"{method} {path}"
        for seed in sorted(SEEDS.glob("00[0-4]_*.txt"))
        for method, path in _ENDPOINT_LINE.findall(seed.read_text())
    }
    ours = {f"{op.method} {op.path}" for op in catalog.OPERATIONS}
    assert named - ALTERNATE_PATHS - ours == set()
    assert len(named - ALTERNATE_PATHS) == 65


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("GET", "/api/v2/users/me", "users.me"),
        ("GET", "/api/v2/users/me.json", "users.me"),
        ("GET", "/api/v2/users/123", "users.show"),
        ("GET", "/api/v2/users/show_many.json", "users.show_many"),
        ("PUT", "/api/v2/user_fields/reorder", "user_fields.reorder"),
        ("PUT", "/api/v2/user_fields/plan_level", "user_fields.update"),
        ("GET", "/api/v2/job_statuses/show_many", "job_statuses.show_many"),
        ("GET", "/api/v2/job_statuses/V3-0123456789abcdef0123456789abcdef", "job_statuses.show"),
        ("PUT", "/api/v2/users/7/identities/8/make_primary", "identities.make_primary"),
    ],
)
def test_a_request_matches_its_most_specific_operation(method: str, path: str, name: str) -> None:
    found = catalog.match(method, path)
    assert found is not None
    assert found[0].name == name


def test_paths_outside_the_catalog_match_nothing() -> None:
    assert catalog.match("GET", "/api/v2/users/me.json.json") is None
    assert catalog.match("GET", "/api/v2/users/abc") is None
    assert catalog.match("POST", "/api/v2/users/me") is None


def test_single_user_writes_are_paced_on_their_own_bucket() -> None:
    limits = RateLimiter(RateLimitSettings())
    assert limits.buckets_for("POST", "/api/v2/users/create_or_update") == [
        "single_user_write",
        "account",
    ]
    # Seed 004 gives updating one user the same limit and header as create_or_update.
    assert limits.buckets_for("PUT", "/api/v2/users/7.json") == [
        "single_user_write",
        "user_update:7",
        "account",
    ]
    assert limits.buckets_for("GET", "/api/v2/users/7") == ["account"]


def test_exports_are_paced_on_the_buckets_their_operations_name() -> None:
    limits = RateLimiter(RateLimitSettings())
    for op in catalog.OPERATIONS:
        if op.paging in (Paging.INCREMENTAL_CURSOR, Paging.INCREMENTAL_TIME):
            assert set(op.buckets) <= set(limits.buckets_for(op.method, op.path)), op.name


def test_sandbox_handlers_are_catalog_operations() -> None:
    assert set(ROUTES) <= set(catalog.BY_NAME)
    assert {listing.operation for listing in lists.LISTINGS} <= set(ROUTES)
    for listing in lists.LISTINGS:
        assert catalog.operation(listing.operation).paging is not Paging.NONE


def test_body_keys_name_the_record_wrapper() -> None:
    assert catalog.operation("users.create").body_key == "user"
    assert catalog.operation("users.create_or_update_many").body_key == "users"
    assert catalog.operation("users.update_many").body_key is None  # user or users
    assert catalog.operation("tickets.merge").body_key is None  # plain fields: ids, comments
    assert catalog.operation("users.show").path_for(user_id=7) == "/api/v2/users/7"
