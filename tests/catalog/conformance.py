"""Checks of catalog operations against a description of the API: Zendesk's OpenAPI file (or
the repository's compact copy of it), or the facts the ZIS seeds state.

Each check returns the problems it found, one line each, so a test can show all of them and a
test can also feed it a deliberately wrong operation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zdsync.catalog import Operation
from zdsync.catalog.model import placeholders

ZIS_FACTS = Path(__file__).with_name("zis_seed_facts.json")
# Query parameters the catalog takes that the OpenAPI file does not list, and who documents
# them. Everything else the catalog sends must be in the file.
BEYOND_THE_FILE: dict[tuple[str, str], str] = {
    ("tickets.list", "sort"): "seed 002 sorts the ticket list",
    ("incremental.tickets_cursor", "per_page"): "the notes: every export takes per_page",
    ("incremental.tickets_cursor", "include"): "the notes: exports take sideloads",
    ("incremental.tickets_cursor", "exclude_deleted"): "the notes: ticket exports",
    ("incremental.tickets", "per_page"): "the notes: every export takes per_page",
    ("incremental.tickets", "include"): "the notes: exports take sideloads",
    ("incremental.tickets", "exclude_deleted"): "the notes: ticket exports",
    ("incremental.ticket_events", "per_page"): "the notes: per_page on ticket events",
    ("incremental.ticket_events", "include"): "the description: the comment_events sideload",
    ("incremental.ticket_metric_events", "per_page"): "the notes: every export takes per_page",
    **{
        ("satisfaction_ratings.list", name): "the description's table of filters"
        for name in ("score", "start_time", "end_time")
    },
}


# Lists whose entry in the file borrows the path parameters of their nested forms
# (``/api/v2/users/{user_id}/groups``): the top-level path has no placeholder to fill.
BORROWED_PATH_PARAMS: dict[str, frozenset[str]] = {
    "groups.list": frozenset({"user_id"}),
    "group_memberships.list": frozenset({"group_id", "user_id"}),
}


def _schemas(spec: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    return schemas


def properties(spec: dict[str, Any], schema: Any) -> set[str]:
    """Every property name a schema can carry, through ``$ref``, ``allOf``, ``oneOf``, ``anyOf``."""
    if not isinstance(schema, dict):
        return set()
    if "$ref" in schema:
        return properties(spec, _schemas(spec)[schema["$ref"].rsplit("/", 1)[1]])
    found = set(schema.get("properties", {}))
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            found |= properties(spec, part)
    return found


def _own_problems(op: Operation) -> Iterator[str]:
    declared = tuple(param.name for param in op.path_params)
    if sorted(placeholders(op.path)) != sorted(declared):
        yield f"{op.name}: path placeholders {placeholders(op.path)} but path params {declared}"


def oas_problems(op: Operation, spec: dict[str, Any]) -> list[str]:
    """What is wrong with ``op`` as the OpenAPI ``spec`` describes the API."""
    problems = list(_own_problems(op))
    found = spec["paths"].get(op.path, {}).get(op.method.lower())
    if found is None:
        return [*problems, f"{op.name}: {op.method} {op.path} is not in the OpenAPI file"]
    problems += _parameter_problems(op, found)
    problems += _response_problems(op, spec, found)
    problems += _body_problems(op, spec, found)
    return problems


def _parameter_problems(op: Operation, found: dict[str, Any]) -> Iterator[str]:
    listed = {(p["in"], p["name"]): p for p in found["parameters"]}
    borrowed = BORROWED_PATH_PARAMS.get(op.name, frozenset())
    in_file = sorted(name for where, name in listed if where == "path" and name not in borrowed)
    ours = sorted(param.name for param in op.path_params)
    if in_file != ours:
        yield f"{op.name}: path params {ours}, the OpenAPI file has {in_file}"
    for param in op.path_params:
        kind = listed.get(("path", param.name), {}).get("schema", {}).get("type")
        if kind in ("integer", "string") and kind != param.kind:
            yield f"{op.name}: path param {param.name} is {param.kind}, the file says {kind}"
    for param in op.params:
        if param.where != "query" or ("query", param.name) in listed:
            continue
        if (op.name, param.name) not in BEYOND_THE_FILE:
            yield f"{op.name}: query param {param.name} is not in the OpenAPI file"


def _success_schemas(found: dict[str, Any]) -> Iterator[Any]:
    for status, response in found["responses"].items():
        if str(status).startswith("2"):
            yield response.get("content", {}).get("application/json", {}).get("schema")


def _response_problems(op: Operation, spec: dict[str, Any], found: dict[str, Any]) -> Iterator[str]:
    keys = set().union(*(properties(spec, s) for s in _success_schemas(found)))
    if op.response_key is not None and op.response_key not in keys:
        yield f"{op.name}: response key {op.response_key!r} is not in its 2xx schema {sorted(keys)}"
    # Reading a job's status is not a bulk job; every write that answers with one is.
    queues_a_job = op.method != "GET" and "job_status" in keys
    if op.bulk_job != queues_a_job:
        yield f"{op.name}: bulk_job is {op.bulk_job} but its 2xx schema keys are {sorted(keys)}"


def _body_problems(op: Operation, spec: dict[str, Any], found: dict[str, Any]) -> Iterator[str]:
    schema = found.get("requestBody", {}).get("content", {}).get("application/json", {})
    if not schema:
        return  # the file does not describe this body
    keys = properties(spec, schema.get("schema"))
    for param in op.params:
        if param.where == "body" and param.name not in keys:
            yield f"{op.name}: body key {param.name!r} is not in the file's body {sorted(keys)}"


def zis_facts() -> dict[str, dict[str, Any]]:
    facts: dict[str, dict[str, Any]] = json.loads(ZIS_FACTS.read_text())["operations"]
    return facts


def zis_problems(op: Operation, facts: dict[str, dict[str, Any]]) -> list[str]:
    """What is wrong with a ZIS ``op`` as seeds 000 and 001 describe it."""
    problems = list(_own_problems(op))
    fact = facts.get(f"{op.method} {op.path}")
    if fact is None:
        return [*problems, f"{op.name}: {op.method} {op.path} is not a ZIS operation of the seeds"]
    ours = sorted(param.name for param in op.path_params)
    if ours != sorted(fact["path_params"]):
        problems.append(f"{op.name}: path params {ours}, the seeds have {fact['path_params']}")
    if op.response_key != fact["response_key"]:
        problems.append(
            f"{op.name}: response key {op.response_key!r}, the seeds show {fact['response_key']!r}"
        )
    required = sorted(p.name for p in op.params if p.where == "body" and p.required)
    if required != sorted(fact["required_body"]):
        problems.append(
            f"{op.name}: required body {required}, the seeds have {fact['required_body']}"
        )
    return problems
