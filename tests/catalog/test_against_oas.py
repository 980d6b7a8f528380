"""The catalog agrees with Zendesk's OpenAPI file, and the ZIS entries with the ZIS seeds."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from typing import Any

import pytest

from tests.catalog.conformance import oas_problems, zis_facts, zis_problems
from tests.sandbox import compact_oas
from zdsync import catalog
from zdsync.catalog import Operation
from zdsync.catalog.model import in_path

SUPPORT = [op for op in catalog.OPERATIONS if op.in_support_oas]
ZIS = [op for op in catalog.OPERATIONS if op.is_zis]
HAS_SOURCE = compact_oas.SOURCE.is_file()


@cache
def compact() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(compact_oas.COMPACT.read_text())
    return loaded


@pytest.mark.parametrize("op", SUPPORT, ids=lambda op: op.name)
def test_every_support_operation_is_in_the_compact_file(op: Operation) -> None:
    assert oas_problems(op, compact()) == []


@pytest.mark.skipif(not HAS_SOURCE, reason="Zendesk's OpenAPI file is not beside the repository")
def test_every_support_operation_is_in_zendesks_file() -> None:
    # Against the file itself, not the copy: the copy is derived from the catalog, so a path
    # missing from the file must show here first. (The copy's currency is checked in
    # tests/sandbox/test_oas_conformance.py.)
    source = compact_oas.load_source(compact_oas.SOURCE)
    missing = [
        op.name for op in SUPPORT if op.method.lower() not in source["paths"].get(op.path, {})
    ]
    assert missing == []
    derived = compact_oas.compact(source)
    assert [problem for op in SUPPORT for problem in oas_problems(op, derived)] == []


@pytest.mark.parametrize("op", ZIS, ids=lambda op: op.name)
def test_every_zis_operation_matches_the_seeds(op: Operation) -> None:
    assert zis_problems(op, zis_facts()) == []


def test_every_zis_operation_of_the_seeds_is_in_the_catalog() -> None:
    assert sorted(zis_facts()) == sorted(f"{op.method} {op.path}" for op in ZIS)


def test_a_wrong_path_fails_the_check() -> None:
    right = catalog.operation("users.show")
    wrong = dataclasses.replace(right, path="/api/v2/user/{user_id}")
    assert oas_problems(right, compact()) == []
    assert oas_problems(wrong, compact()) == [
        "users.show: GET /api/v2/user/{user_id} is not in the OpenAPI file"
    ]


def test_a_wrong_method_response_key_or_path_param_fails_the_check() -> None:
    show = catalog.operation("users.show")
    assert oas_problems(dataclasses.replace(show, method="PATCH"), compact())
    (key,) = oas_problems(dataclasses.replace(show, response_key="users"), compact())
    assert key.startswith("users.show: response key 'users' is not in its 2xx schema")
    renamed = dataclasses.replace(
        show, path="/api/v2/users/{id}", params=(in_path("id"),), name="users.show"
    )
    assert oas_problems(renamed, compact()) == [
        "users.show: GET /api/v2/users/{id} is not in the OpenAPI file"
    ]
    mistyped = dataclasses.replace(show, params=(in_path("user_id", "string"),))
    assert oas_problems(mistyped, compact()) == [
        "users.show: path param user_id is string, the file says integer"
    ]
    undeclared = dataclasses.replace(show, params=())
    assert "path placeholders" in oas_problems(undeclared, compact())[0]


def test_a_wrong_zis_entry_fails_the_check() -> None:
    create = catalog.operation("zis.basic_auth.create")
    loose = dataclasses.replace(create, params=create.params[:1])
    assert zis_problems(loose, zis_facts()) == [
        "zis.basic_auth.create: required body [], the seeds have "
        "['allowed_domain', 'name', 'password', 'username']"
    ]
    moved = dataclasses.replace(create, path="/api/services/zis/integrations/{integration}")
    assert zis_problems(moved, zis_facts())[-1].endswith("is not a ZIS operation of the seeds")
